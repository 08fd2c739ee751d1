"""Booking reads: lists scoped by role, conflicts, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from venueos.audit.selectors import audit_history
from venueos.bookings.models import ACTIVE_STATUSES, Booking
from venueos.common.permissions import manages_organization
from venueos.common.problems import NotFound
from venueos.common.timeutils import AwareDateTimeField

if TYPE_CHECKING:
    from venueos.bookings.services import ConflictContext


# Only what the booking JSON shows of the space and the owner.
_RELATED_COLUMNS = (
    "space__id",
    "space__name",
    "space__venue_id",
    "user__id",
    "user__full_name",
)


def _base() -> QuerySet:
    booking_columns = [field.name for field in Booking._meta.concrete_fields]
    return Booking.objects.select_related("space", "user").only(
        *booking_columns, *_RELATED_COLUMNS
    )


def bookings_visible_to(user) -> QuerySet:
    """Customers see their own; managers their organization's venues; admins all."""
    bookings = _base()
    if user.is_admin:
        return bookings
    if user.is_manager:
        return bookings.filter(
            Q(venue__organization_id=user.organization_id) | Q(user=user)
        )
    return bookings.filter(user=user)


def booking_list(
    *,
    user,
    space_id=None,
    venue_id=None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet:
    bookings = bookings_visible_to(user)
    if space_id:
        bookings = bookings.filter(space_id=space_id)
    if venue_id:
        bookings = bookings.filter(venue_id=venue_id)
    if status:
        bookings = bookings.filter(status=status)
    if start:
        bookings = bookings.filter(end_time__gt=start)
    if end:
        bookings = bookings.filter(start_time__lt=end)
    return bookings.order_by("start_time", "id")


def booking_list_for_user(
    *,
    user,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
) -> QuerySet:
    bookings = _base().filter(user=user)
    if start is None and end is None:
        bookings = bookings.filter(end_time__gt=timezone.now())
    if start:
        bookings = bookings.filter(end_time__gt=start)
    if end:
        bookings = bookings.filter(start_time__lt=end)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("start_time", "id")


def booking_get_for(user, booking_id) -> Booking:
    booking = _base().select_related("venue").filter(pk=booking_id).first()
    if booking is None or not can_see_booking(user, booking):
        raise NotFound("No such booking.")
    return booking


def can_see_booking(user, booking: Booking) -> bool:
    return booking.user_id == user.pk or manages_organization(
        user, booking.venue.organization_id
    )


def booking_history(booking: Booking):
    return audit_history(entity_type="booking", entity_id=booking.id)


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
    query. Every create runs it first, winners included, so it stays lean."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 0 FROM venues_space WHERE id = %(space)s
                UNION ALL
                SELECT s.parent_id, up.depth + 1 FROM venues_space s
                JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL AND up.depth < 100
            )
            SELECT b.id, b.space_id, b.user_id, b.title, b.start_time, b.end_time
            FROM bookings_booking b
            WHERE b.id IN (
                SELECT c.booking_id
                FROM bookings_bookingclaim c JOIN up ON c.space_id = up.id
                WHERE c.period && tstzrange(%(start)s, %(end)s, '[)')
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


def conflict_body(
    *, context: ConflictContext, conflicts: list[ConflictingBooking], actor
) -> dict:
    """The extra members of a 409 booking-conflict problem (api.md)."""
    from venueos.bookings.availability import suggest_alternatives

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
            conflicting["title"] = winner.title
    alternatives = suggest_alternatives(
        space=context.space,
        start=context.start,
        end=context.end,
        attendee_count=context.attendee_count,
        limit=5,
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


def space_has_bookings(space_id) -> bool:
    return Booking.objects.filter(space_id=space_id).exists()


def subtree_has_active_future_bookings(space_id) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT id FROM venues_space WHERE id = %s
                UNION SELECT s.id FROM venues_space s JOIN down ON s.parent_id = down.id
            )
            SELECT EXISTS (
                SELECT 1 FROM bookings_booking b JOIN down ON b.space_id = down.id
                WHERE b.status = ANY(%s) AND b.end_time > %s
            )
            """,
            [space_id, list(ACTIVE_STATUSES), timezone.now()],
        )
        return cursor.fetchone()[0]
