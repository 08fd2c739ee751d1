"""Reports: reads over bookings, opening hours and closures, for managers.

Utilization, per space and local day:

- `open_minutes`: the venue's weekly opening hours on that local date (built in
  local wall time with the same code as availability, so a 23- or 25-hour DST
  day and hours across midnight count as they really are), minus venue-wide
  closures and closures of the space or of any ancestor (closing the hall
  closes every room in it).
- `booked_minutes`: the part of that open time covered by the space's OWN
  active (pending or confirmed) bookings; bookings of parents or children and
  set-up/clean-up buffers are not counted.
- `utilization_percent`: booked / open × 100, one decimal; null when the space
  had no open time that day. Minutes are rounded to the nearest whole minute
  (closures need not lie on the grid); the percentage is computed from the
  exact values.

Cost: four queries whatever the range (spaces, opening hours, closures, and
the bookings as epoch microseconds, the cheapest form to load), then interval
arithmetic on integers: per space one sweep over its bookings (sorted; a
space's own active bookings never overlap) against the days' open intervals.
No per-minute loops.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection

from venueos.bookings.timegrid import opening_intervals
from venueos.common.permissions import require_manager_of
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import local_wall_time, require_in_years
from venueos.venues.models import Closure, OpeningHours, Space, Venue

MAX_REPORT_DAYS = 93

BOOKINGS_SQL = """
SELECT space_id,
       (extract(epoch FROM start_time) * 1000000)::bigint,
       (extract(epoch FROM end_time) * 1000000)::bigint
FROM bookings_booking
WHERE venue_id = %s AND status IN ('pending', 'confirmed')
  AND start_time < %s AND end_time > %s
ORDER BY space_id, start_time
"""


COLUMNS = (
    "space_id",
    "space_name",
    "date",
    "open_minutes",
    "booked_minutes",
    "utilization_percent",
)


def utilization_report(
    venue: Venue, *, user, start_date: date, end_date: date
) -> list[tuple]:
    """One tuple per space of the venue and local date from `start_date` to
    `end_date` (inclusive, at most `MAX_REPORT_DAYS`), ordered by space name
    and date, with the values of `COLUMNS` (ids and dates as text, minutes as
    int, the percentage as a float or None), ready to serialize. For the
    venue's managers."""
    require_manager_of(user, venue.organization_id)
    require_in_years(start_date, "start_date")
    require_in_years(end_date, "end_date")
    if end_date < start_date:
        raise InvalidInput.field("end_date", "end_date is before start_date.")
    if (end_date - start_date).days + 1 > MAX_REPORT_DAYS:
        raise InvalidInput.field(
            "end_date", f"A report covers at most {MAX_REPORT_DAYS} days."
        )
    zone = ZoneInfo(venue.timezone)
    hours: dict[int, list[tuple[int, int]]] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(
        venue_id=venue.id
    ).values_list("weekday", "opens_minute", "closes_minute"):
        hours.setdefault(weekday, []).append((opens, closes))
    days: list[tuple[str, list[_Span]]] = []
    day = start_date
    low = local_wall_time(start_date, 0, zone)
    while day <= end_date:
        day_low = local_wall_time(day, 0, zone)
        day_high = local_wall_time(day + timedelta(days=1), 0, zone)
        intervals = opening_intervals(hours, zone, day_low, day_high)
        days.append((day.isoformat(), [(_us(a), _us(b)) for a, b in intervals]))
        high = day_high
        day += timedelta(days=1)

    spaces = list(
        Space.objects.filter(venue_id=venue.id)
        .order_by("name", "id")
        .values_list("id", "name", "parent_id")
    )
    parent_of = {space_id: parent_id for space_id, _, parent_id in spaces}
    venue_closed: list[_Span] = []
    closed_by_space: dict[UUID, list[_Span]] = defaultdict(list)
    for space_id, start, end in Closure.objects.filter(
        venue_id=venue.id, start_time__lt=high, end_time__gt=low
    ).values_list("space_id", "start_time", "end_time"):
        target = venue_closed if space_id is None else closed_by_space[space_id]
        target.append((_us(start), _us(end)))
    bookings: dict[UUID, list[_Span]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(BOOKINGS_SQL, [venue.id, high, low])
        for space_id, start, end in cursor.fetchall():
            bookings[space_id].append((start, end))

    rows = []
    for space_id, name, _ in spaces:
        closed = list(venue_closed)
        current, depth = space_id, 0
        while current is not None and depth <= len(spaces):
            closed += closed_by_space.get(current, [])
            current, depth = parent_of.get(current), depth + 1
        closed = _merge(closed)
        own = bookings.get(space_id, [])
        space_text = str(space_id)
        first = 0
        for day, opening in days:
            open_spans = _subtract(opening, closed) if closed else opening
            open_us = sum(end - start for start, end in open_spans)
            booked_us = 0
            if open_spans and own:
                day_low, day_high = open_spans[0][0], open_spans[-1][1]
                while first < len(own) and own[first][1] <= day_low:
                    first += 1
                index = first
                while index < len(own) and own[index][0] < day_high:
                    start, end = own[index]
                    for open_start, open_end in open_spans:
                        overlap = min(end, open_end) - max(start, open_start)
                        if overlap > 0:
                            booked_us += overlap
                    index += 1
            rows.append(
                (
                    space_text,
                    name,
                    day,
                    (open_us + _HALF_MINUTE_US) // _MINUTE_US,
                    (booked_us + _HALF_MINUTE_US) // _MINUTE_US,
                    round(booked_us * 100 / open_us, 1) if open_us else None,
                )
            )
    return rows


_Span = tuple[int, int]
_MINUTE_US = 60_000_000
_HALF_MINUTE_US = _MINUTE_US // 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(moment: datetime) -> int:
    """Microseconds since the epoch: exact integer arithmetic for intervals."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _merge(spans: list[_Span]) -> list[_Span]:
    merged: list[_Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start < end:
            merged.append((start, end))
    return merged


def _subtract(spans: list[_Span], blockers: list[_Span]) -> list[_Span]:
    """`spans` minus the merged `blockers`, both sorted."""
    free: list[_Span] = []
    for start, end in spans:
        cursor = start
        for block_start, block_end in blockers:
            if block_end <= cursor or block_start >= end:
                continue
            if block_start > cursor:
                free.append((cursor, block_start))
            cursor = max(cursor, block_end)
        if cursor < end:
            free.append((cursor, end))
    return free
