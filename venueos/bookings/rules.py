"""The venue's booking rules, checked on every create and move.

These give a person a precise 400 with its own problem type; the database
constraints are the guarantee behind the ones that can be constraints (end after
start, at most 24 h, attendee count, no overlap). Rules that depend on "now"
(not in the past, within the horizon) are checked here only, on purpose: a
CHECK on now() would make old bookings impossible to cancel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from venueos.bookings.timegrid import opening_intervals
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import on_grid
from venueos.venues.models import Closure, OpeningHours, Space, Venue


class BookingRuleViolation(InvalidInput):
    title = "Booking rule violated"


def _violation(slug: str, field: str, message: str) -> BookingRuleViolation:
    return BookingRuleViolation(message, slug=slug, errors={field: [message]})


def within_opening_hours(
    rows: list[OpeningHours], zone: ZoneInfo, start: datetime, end: datetime
) -> bool:
    """Whether [start, end) lies inside one merged open interval (local time)."""
    hours: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        hours.setdefault(row.weekday, []).append((row.opens_minute, row.closes_minute))
    return any(
        s <= start and end <= e for s, e in opening_intervals(hours, zone, start, end)
    )


def first_closure(
    closures: Iterable[Closure], space_lineage: list, start: datetime, end: datetime
) -> Closure | None:
    """The earliest closure among `closures` that closes the space during [start, end):
    venue-wide, or of the space or one of its ancestors (`space_lineage`)."""
    lineage = set(space_lineage)
    hits = [
        c
        for c in closures
        if c.start_time < end
        and c.end_time > start
        and (c.space_id is None or c.space_id in lineage)
    ]
    return min(hits, key=lambda c: c.start_time, default=None)


def check_capacity(space: Space, attendee_count: int) -> None:
    if attendee_count > space.capacity:
        raise _violation(
            "over-capacity",
            "attendee_count",
            f"'{space.name}' holds at most {space.capacity} people.",
        )


def check_booking_rules(
    *,
    venue: Venue,
    space: Space,
    space_lineage: list,
    start: datetime,
    end: datetime,
    attendee_count: int,
    now: datetime,
    opening_hours: Sequence[OpeningHours] | None = None,
    closures: Sequence[Closure] | None = None,
    reveal_closure_reasons: bool = False,
) -> None:
    """Raise the first broken rule as a 400 problem with its own type.

    `space_lineage` is the space id and its ancestors' ids: a closure of any of
    them closes the space.

    Bulk callers may pass the venue's data pre-fetched, so a batch costs no
    query per booking: `opening_hours` (all the venue's rows) and `closures`
    (at least every closure of the venue overlapping [start, end); others are
    ignored). Left out, each is read from the database here.

    A closure's reason is told only when it is public or
    `reveal_closure_reasons` (the caller manages the venue): for anyone else
    the time is closed, not why.
    """
    if venue.is_archived:
        raise _violation(
            "venue-archived",
            "space_id",
            "This venue is archived and takes no bookings.",
        )
    if not space.is_bookable:
        raise _violation(
            "space-not-bookable", "space_id", f"'{space.name}' cannot be booked."
        )
    if end <= start:
        raise _violation(
            "invalid-time-range", "end_time", "end_time must be after start_time."
        )
    zone = ZoneInfo(venue.timezone)
    for field, instant in (("start_time", start), ("end_time", end)):
        if not on_grid(instant, zone, venue.slot_minutes):
            raise _violation(
                "off-grid",
                field,
                f"{field} must lie on the venue's {venue.slot_minutes}-minute grid in "
                f"local time ({venue.timezone}).",
            )
    minutes = (end - start).total_seconds() / 60
    if minutes < venue.min_duration_minutes:
        raise _violation(
            "duration-too-short",
            "end_time",
            f"A booking here lasts at least {venue.min_duration_minutes} minutes.",
        )
    if minutes > venue.max_duration_minutes:
        raise _violation(
            "duration-too-long",
            "end_time",
            f"A booking here lasts at most {venue.max_duration_minutes} minutes.",
        )
    if start < now:
        raise _violation(
            "in-the-past", "start_time", "A booking cannot start in the past."
        )
    if start > now + timedelta(days=venue.booking_horizon_days):
        raise _violation(
            "beyond-horizon",
            "start_time",
            f"Bookings open at most {venue.booking_horizon_days} days ahead.",
        )
    check_capacity(space, attendee_count)
    if opening_hours is None:
        opening_hours = list(OpeningHours.objects.filter(venue_id=venue.id))
    if not within_opening_hours(list(opening_hours), zone, start, end):
        raise _violation(
            "outside-opening-hours",
            "start_time",
            "The booking must lie inside the venue's opening hours (local time).",
        )
    if closures is None:
        closures = Closure.objects.filter(
            venue_id=venue.id, start_time__lt=end, end_time__gt=start
        ).filter(Q(space__isnull=True) | Q(space_id__in=space_lineage))
    closure = first_closure(closures, space_lineage, start, end)
    if closure is not None:
        shown = closure.reason_public or reveal_closure_reasons
        reason = f" ({closure.reason})" if closure.reason and shown else ""
        raise _violation(
            "in-closure",
            "start_time",
            f"The space is closed from {closure.start_time.isoformat()} to "
            f"{closure.end_time.isoformat()}{reason}.",
        )
