"""Bulk booking import: many bookings under the same rules as a create.

`booking_import` takes rows in batches. For each batch it

1. checks that the actor manages every venue of the batch (403 otherwise);
2. reads, in a fixed number of queries, what the rules need (venues, opening
   hours, closures in the batch's time range, the spaces' ancestors) and runs
   `check_booking_rules` on every row: the same code and the same 400 problem
   types as `booking_create`;
3. in one durable transaction, takes the advisory locks of `booking_create` for
   all the batch's spaces at once (exclusive on the booked spaces, shared on
   their ancestors, ascending key order, so an import queues with live bookings
   instead of deadlocking), inserts the bookings with one `bulk_create` (the
   trigger writes their claims and the exclusion constraints decide, also
   between rows of the batch) and one audit entry per booking.

A row that breaks a rule or overlaps (another booking, or a row of the same
batch, including a parent or child space) fails its whole batch: nothing of it
is stored, and the error names the batch. Batches before it stay committed;
the number returned and the error say how far an import got.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import Change, audit_record, snapshot
from venueos.bookings.conflicts import BookingConflict
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.rules import BookingRuleViolation, check_booking_rules
from venueos.bookings.services import AUDITED_FIELDS
from venueos.common.locking import EXCLUSION_VIOLATION, lock_space_paths, lost_race_as
from venueos.common.permissions import require_manager_of
from venueos.venues.models import Closure, OpeningHours, Space, Venue


@dataclass(frozen=True)
class BookingImportRow:
    space: Space
    user: User
    start_time: datetime
    end_time: datetime
    title: str
    description: str = ""
    attendee_count: int = 1


def _batches(
    rows: Iterable[BookingImportRow], size: int
) -> Iterator[list[BookingImportRow]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _ancestors_of(space_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each space's ancestors, nearest first (one recursive query for all)."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {space_id: [] for space_id in space_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(origin, id, parent_id, depth) AS (
                SELECT id, id, parent_id, 0 FROM venues_space WHERE id = ANY(%s)
                UNION ALL
                SELECT up.origin, s.id, s.parent_id, up.depth + 1
                FROM venues_space s JOIN up ON s.id = up.parent_id
                WHERE up.depth < 100
            )
            SELECT origin, id FROM up WHERE depth > 0 ORDER BY origin, depth
            """,
            [space_ids],
        )
        for origin, ancestor in cursor.fetchall():
            out[origin].append(ancestor)
    return out


def _describe(number: int, first_row: int, size: int) -> str:
    return f"batch {number} (rows {first_row}-{first_row + size - 1})"


@dataclass
class RuleData:
    """What `check_booking_rules` reads, pre-fetched for many bookings at once:
    the venues, their opening hours, their closures over a time range and the
    spaces' ancestors (four queries whatever the number of bookings)."""

    venues: dict[uuid.UUID, Venue]
    hours: dict[uuid.UUID, list[OpeningHours]]
    closures: dict[uuid.UUID, list[Closure]]
    ancestors: dict[uuid.UUID, list[uuid.UUID]]

    @classmethod
    def fetch(cls, spaces: Iterable[Space], low: datetime, high: datetime) -> RuleData:
        spaces = list(spaces)
        venues = Venue.objects.in_bulk({space.venue_id for space in spaces})
        hours: dict[uuid.UUID, list[OpeningHours]] = defaultdict(list)
        for row in OpeningHours.objects.filter(venue_id__in=list(venues)):
            hours[row.venue_id].append(row)
        closures: dict[uuid.UUID, list[Closure]] = defaultdict(list)
        for closure in Closure.objects.filter(
            venue_id__in=list(venues), start_time__lt=high, end_time__gt=low
        ):
            closures[closure.venue_id].append(closure)
        ancestors = _ancestors_of(list({space.id for space in spaces}))
        return cls(venues, hours, closures, ancestors)

    def check(
        self,
        *,
        space: Space,
        start: datetime,
        end: datetime,
        attendee_count: int,
        now: datetime,
        reveal_closure_reasons: bool = False,
    ) -> None:
        """`check_booking_rules` from the pre-fetched data: the same 400s."""
        venue = self.venues[space.venue_id]
        check_booking_rules(
            venue=venue,
            space=space,
            space_lineage=[space.id, *self.ancestors[space.id]],
            start=start,
            end=end,
            attendee_count=attendee_count,
            now=now,
            opening_hours=self.hours[venue.id],
            closures=self.closures[venue.id],
            reveal_closure_reasons=reveal_closure_reasons,
        )


def _check_batch(
    *, actor: User, batch: list[BookingImportRow], label: str
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Permission and rules for every row; returns each space's ancestors."""
    data = RuleData.fetch(
        (row.space for row in batch),
        min(row.start_time for row in batch),
        max(row.end_time for row in batch),
    )
    for venue in data.venues.values():
        require_manager_of(actor, venue.organization_id)
    now = timezone.now()
    for offset, row in enumerate(batch):
        try:
            data.check(
                space=row.space,
                start=row.start_time,
                end=row.end_time,
                attendee_count=row.attendee_count,
                now=now,
                # Only the venues' managers import (checked above).
                reveal_closure_reasons=True,
            )
        except BookingRuleViolation as exc:
            raise BookingRuleViolation(
                f"{label}, row {offset + 1}: {exc.detail} Nothing of this batch "
                "was stored.",
                slug=exc.slug,
                errors=exc.errors,
                **exc.extra,
            ) from exc
    return data.ancestors


def _import_batch(*, actor: User, batch: list[BookingImportRow], label: str) -> int:
    ancestors = _check_batch(actor=actor, batch=batch, label=label)
    bookings = [
        Booking(
            venue_id=row.space.venue_id,
            space=row.space,
            user=row.user,
            created_by=actor,
            start_time=row.start_time,
            end_time=row.end_time,
            title=row.title,
            description=row.description,
            attendee_count=row.attendee_count,
            # The actor manages the venue: no approval step, as for a create.
            status=BookingStatus.CONFIRMED,
        )
        for row in batch
    ]

    @transaction.atomic(durable=True)
    def write() -> None:
        lock_space_paths(ancestors.items())
        Booking.objects.bulk_create(bookings)
        audit_record(
            AuditAction.BOOKING_IMPORTED,
            actor=actor,
            changes=[
                Change(booking.id, new=snapshot(booking, AUDITED_FIELDS))
                for booking in bookings
            ],
        )

    def lost(state: str) -> BookingConflict:
        if state == EXCLUSION_VIOLATION:
            return BookingConflict(
                f"In {label} a booking overlaps another one (already stored, or "
                "of the same batch) on its space or a space containing it or "
                "inside it. Nothing of this batch was stored."
            )
        return BookingConflict(
            f"The spaces of {label} are busy with other bookings right now; "
            "nothing of this batch was stored. Try it again."
        )

    with lost_race_as(lost):
        write()
    return len(bookings)


def booking_import(
    *,
    actor: User,
    rows: Iterable[BookingImportRow],
    batch_size: int = 1000,
) -> int:
    """Import bookings in batches of `batch_size`; returns how many were stored.

    Each batch is all or nothing: a 403 (the actor does not manage a venue of
    the batch), a 400 (a rule, the same as a create's) or a 409 (an overlap)
    stores nothing of it; the batches before it are committed already.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    stored = 0
    for number, batch in enumerate(_batches(rows, batch_size), start=1):
        label = _describe(number, stored + 1, len(batch))
        stored += _import_batch(actor=actor, batch=batch, label=label)
    return stored
