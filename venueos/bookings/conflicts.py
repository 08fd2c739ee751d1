"""What collides with a booking, and the 409 `booking-conflict` that says so.

Neither a write nor a plain read: the writes (`services.py`, `imports.py`) ask
it before and after they lose a race, and it reads the claims table and the
availability engine to describe the winner and offer alternatives. It imports
only downward (models, availability, common), so services and selectors do not
import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import connection

from venueos.bookings.suggestions import suggest_alternatives
from venueos.common.locking import EXCLUSION_VIOLATION
from venueos.common.metrics import BOOKING_CONFLICTS
from venueos.common.permissions import manages_organization
from venueos.common.problems import Conflict
from venueos.common.readcache import VersionedCache
from venueos.common.timeutils import AwareDateTimeField
from venueos.venues.layout import VenueLayout
from venueos.venues.models import Space


class BookingConflict(Conflict):
    slug, title = "booking-conflict", "Booking Conflict"


@dataclass(frozen=True)
class ConflictContext:
    """The requested booking, as the 409 body needs to describe the collision."""

    space: Space
    start: datetime
    end: datetime
    attendee_count: int
    exclude_booking_id: UUID | None
    # Known already (the venue's layout): spares the read of the space tree.
    ancestor_ids: tuple[UUID, ...] | None = None
    # The venue's layout and data version as the write read them: the
    # suggestions reuse both instead of reading them again.
    layout: VenueLayout | None = None
    data_version: int | None = None


@dataclass(frozen=True)
class ConflictingBooking:
    id: UUID
    space_id: UUID
    user_id: UUID
    title: str
    start_time: datetime
    end_time: datetime


def booking_conflicts_for(
    *, space_id, start: datetime, end: datetime, exclude_booking_id=None
) -> list[ConflictingBooking]:
    """Active bookings that block [start, end) on a space, earliest first: those
    of the space, of its descendants (any claim on it) and of its ancestors
    (their exclusive claims on themselves), read from the claims table in one
    query. [start, end) is widened by the space's buffers, as the claims
    trigger would widen it. Every create runs it first, winners included, so
    it stays lean."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 0 FROM venues_space WHERE id = %(space)s
                UNION ALL
                SELECT s.parent_id, up.depth + 1 FROM venues_space s
                JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL AND up.depth < 100
            ),
            wanted(venue_id, period) AS (
                SELECT venue_id, tstzrange(
                    %(start)s - make_interval(mins => buffer_before_minutes),
                    %(end)s + make_interval(mins => buffer_after_minutes), '[)')
                FROM venues_space WHERE id = %(space)s
            )
            SELECT b.id, b.space_id, b.user_id, b.title, b.start_time, b.end_time
            FROM bookings_booking b
            WHERE b.id IN (
                SELECT c.booking_id
                FROM bookings_bookingclaim c JOIN up ON c.space_id = up.id
                CROSS JOIN wanted
                WHERE c.venue_id = wanted.venue_id AND c.period && wanted.period
                  AND (up.depth = 0 OR c.exclusive)
            )
              AND b.id IS DISTINCT FROM %(exclude)s
            ORDER BY b.start_time, b.id
            """,
            {
                "space": space_id,
                "start": start,
                "end": end,
                "exclude": exclude_booking_id,
            },
        )
        return [ConflictingBooking(*row) for row in cursor.fetchall()]


def _conflicts_on_lineage(context: ConflictContext) -> list[ConflictingBooking]:
    """`booking_conflicts_for` when the space's ancestors are known: one flat
    read of the claims (any claim on the space, exclusive ones on its
    ancestors), the same answer without walking the tree."""
    space = context.space
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT b.id, b.space_id, b.user_id, b.title, b.start_time, b.end_time
            FROM bookings_booking b
            WHERE b.id IN (
                SELECT c.booking_id FROM bookings_bookingclaim c
                WHERE c.venue_id = %(venue)s
                  AND c.period && tstzrange(%(low)s, %(high)s, '[)')
                  AND (c.space_id = %(space)s
                       OR (c.exclusive AND c.space_id = ANY(%(ancestors)s)))
            )
              AND b.id IS DISTINCT FROM %(exclude)s
            ORDER BY b.start_time, b.id
            """,
            {
                "venue": space.venue_id,
                "space": space.id,
                "ancestors": list(context.ancestor_ids),
                "low": context.start - timedelta(minutes=space.buffer_before_minutes),
                "high": context.end + timedelta(minutes=space.buffer_after_minutes),
                "exclude": context.exclude_booking_id,
            },
        )
        return [ConflictingBooking(*row) for row in cursor.fetchall()]


def _current_conflicts(context: ConflictContext) -> list[ConflictingBooking]:
    if context.ancestor_ids is not None:
        return _conflicts_on_lineage(context)
    return booking_conflicts_for(
        space_id=context.space.id,
        start=context.start,
        end=context.end,
        exclude_booking_id=context.exclude_booking_id,
    )


def _current_title(booking: ConflictingBooking) -> str:
    """The booking's title now: the taken time may come from the cache below,
    and renaming a booking changes no claim, so no data version."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM bookings_booking WHERE id = %s", [booking.id])
        row = cursor.fetchone()
    return row[0] if row else booking.title


def conflict_body(
    *, context: ConflictContext, conflicts: list[ConflictingBooking], actor
) -> dict:
    """The extra members of a 409 booking-conflict problem: the first winner
    (its id and title only for its owner and the venue's managers) and up to
    five bookable alternatives."""
    stamp = AwareDateTimeField().to_representation
    conflicting = None
    if conflicts:
        winner = conflicts[0]
        conflicting = {
            "start_time": stamp(winner.start_time),
            "end_time": stamp(winner.end_time),
            "space_id": str(winner.space_id),
        }
        if winner.user_id == actor.pk or manages_organization(
            actor, context.space.venue.organization_id
        ):
            conflicting["id"] = str(winner.id)
            conflicting["title"] = _current_title(winner)
    alternatives = suggest_alternatives(
        space=context.space,
        start=context.start,
        end=context.end,
        attendee_count=context.attendee_count,
        limit=5,
        layout=context.layout,
        data_version=context.data_version,
    )
    return {
        "conflicting_booking": conflicting,
        "suggested_alternatives": [
            {
                "start_time": stamp(item["start_time"]),
                "end_time": stamp(item["end_time"]),
                "duration_minutes": item["duration_minutes"],
                "space_id": str(item["space_id"]),
            }
            for item in alternatives
        ],
    }


def conflict_problem(
    context: ConflictContext,
    actor,
    state: str | None,
    conflicts: list[ConflictingBooking] | None = None,
) -> BookingConflict:
    """The 409 for a write that lost (`state`: the SQLSTATE it lost with).

    Read after the losing transaction rolled back, so the winner is visible.
    """
    if conflicts is None:
        conflicts = _current_conflicts(context)
    if state == EXCLUSION_VIOLATION or conflicts:
        detail = (
            f"'{context.space.name}' (or a space containing it or inside it) is already "
            "booked for part of that time."
        )
    else:
        detail = "The space is busy with another booking right now; try again."
    BOOKING_CONFLICTS.inc()
    return BookingConflict(
        detail, **conflict_body(context=context, conflicts=conflicts, actor=actor)
    )


# The losers of a rush all ask whether the same time is taken, at the same
# data version: one claims read per process answers them (readcache.py's
# rules; the version was read before, with the venue's layout). The space's
# buffers are in the key because the caller's space object, not the layout,
# supplies them and may have been read before the version.
_KNOWN_CONFLICTS: VersionedCache[tuple[ConflictingBooking, ...]] = VersionedCache(
    "conflicts", 4096
)


def _known_conflicts(context: ConflictContext) -> list[ConflictingBooking]:
    if context.data_version is None:
        return _current_conflicts(context)
    key = (
        context.space.id,
        context.start,
        context.end,
        context.exclude_booking_id,
        context.ancestor_ids,
        context.space.buffer_before_minutes,
        context.space.buffer_after_minutes,
    )
    return list(
        _KNOWN_CONFLICTS.get_or_compute(
            lambda: context.data_version,
            key,
            lambda: tuple(_current_conflicts(context)),
        )
    )


def refuse_known_conflicts(context: ConflictContext, actor) -> None:
    """Answer a time already taken by a committed booking without queueing for
    the space's locks or inserting and rolling back: that is most losers once
    the winner of a rush has committed. Only a shortcut: the constraint still
    decides every write that goes ahead.

    Keyed on the venue's data version the request read first. An answer
    stored under that version was read after it (readcache.py), so a booking
    it names held the time at some moment after this request began: the
    refusal is one the request could have met anyway. A refusal after a lost
    race does not use this cache; `conflict_problem` reads the claims."""
    conflicts = _known_conflicts(context)
    if conflicts:
        raise conflict_problem(context, actor, EXCLUSION_VIOLATION, conflicts)
