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
  had no open time that day. Minutes are rounded to whole minutes (closures
  need not lie on the grid); the percentage is computed from exact values.

Cost: Python builds the venue's open intervals per day (a few per day); one
SQL statement does the rest with multirange arithmetic (closures merged per
space and bookings per space and day with range_agg, then `open - closed` and
`open * booked`), whatever the number of spaces, days and bookings.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from venueos.bookings.timegrid import opening_intervals
from venueos.common.permissions import require_manager_of
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import local_wall_time
from venueos.venues.models import OpeningHours, Venue

MAX_REPORT_DAYS = 93

UTILIZATION_SQL = """
WITH RECURSIVE lineage(space_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM venues_space WHERE venue_id = %(venue)s
    UNION ALL
    SELECT l.space_id, s.parent_id, l.depth + 1
    FROM lineage l JOIN venues_space s ON s.id = l.ancestor_id
    WHERE s.parent_id IS NOT NULL AND l.depth < 100
),
days(day, low, high) AS (
    SELECT * FROM unnest(%(days)s::date[], %(lows)s::timestamptz[],
                         %(highs)s::timestamptz[])
),
venue_open(day, open) AS (
    SELECT o.day, range_agg(tstzrange(o.low, o.high, '[)'))
    FROM unnest(%(open_days)s::date[], %(open_lows)s::timestamptz[],
                %(open_highs)s::timestamptz[]) AS o(day, low, high)
    GROUP BY o.day
),
closures AS (
    SELECT space_id, tstzrange(start_time, end_time, '[)') AS period
    FROM venues_closure
    WHERE venue_id = %(venue)s AND start_time < %(high)s AND end_time > %(low)s
),
venue_closed(closed) AS (
    SELECT coalesce(range_agg(period), '{}'::tstzmultirange)
    FROM closures WHERE space_id IS NULL
),
space_closed(space_id, closed) AS (
    SELECT l.space_id, range_agg(c.period)
    FROM lineage l JOIN closures c ON c.space_id = l.ancestor_id
    GROUP BY l.space_id
),
booked(space_id, day, booked) AS (
    -- Cut per local day first: each day's intersection then stays small.
    SELECT b.space_id, d.day,
           range_agg(tstzrange(b.start_time, b.end_time, '[)')
                     * tstzrange(d.low, d.high, '[)'))
    FROM bookings_booking b
    JOIN days d ON b.start_time < d.high AND b.end_time > d.low
    WHERE b.venue_id = %(venue)s AND b.status IN ('pending', 'confirmed')
      AND b.start_time < %(high)s AND b.end_time > %(low)s
    GROUP BY b.space_id, d.day
),
grid AS (
    SELECT s.id, s.name, d.day,
           coalesce(vo.open, '{}'::tstzmultirange)
             - vc.closed
             - coalesce(sc.closed, '{}'::tstzmultirange) AS open,
           coalesce(b.booked, '{}'::tstzmultirange) AS booked
    FROM venues_space s
    CROSS JOIN days d
    CROSS JOIN venue_closed vc
    LEFT JOIN venue_open vo ON vo.day = d.day
    LEFT JOIN space_closed sc ON sc.space_id = s.id
    LEFT JOIN booked b ON b.space_id = s.id AND b.day = d.day
    WHERE s.venue_id = %(venue)s
)
SELECT g.id::text, g.name, g.day::text, m.open_minutes, m.booked_minutes,
       CASE WHEN m.open_minutes > 0
            THEN round(m.booked_seconds * 100 / m.open_seconds, 1)::float8 END
FROM grid g
CROSS JOIN LATERAL (
    SELECT o.seconds AS open_seconds, b.seconds AS booked_seconds,
           round(o.seconds / 60)::int AS open_minutes,
           round(b.seconds / 60)::int AS booked_minutes
    FROM (SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) AS seconds
          FROM unnest(g.open) AS r) AS o,
         (SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0) AS seconds
          FROM unnest(g.open * g.booked) AS r) AS b
) AS m
ORDER BY g.name, g.id, g.day
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
    days, lows, highs = [], [], []
    open_days, open_lows, open_highs = [], [], []
    day = start_date
    while day <= end_date:
        low = local_wall_time(day, 0, zone)
        high = local_wall_time(day + timedelta(days=1), 0, zone)
        days.append(day)
        lows.append(low)
        highs.append(high)
        for start, end in opening_intervals(hours, zone, low, high):
            open_days.append(day)
            open_lows.append(start)
            open_highs.append(end)
        day += timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            UTILIZATION_SQL,
            {
                "venue": venue.id,
                "days": days,
                "lows": lows,
                "highs": highs,
                "open_days": open_days,
                "open_lows": open_lows,
                "open_highs": open_highs,
                "low": lows[0],
                "high": highs[-1],
            },
        )
        return cursor.fetchall()
