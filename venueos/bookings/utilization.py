"""How full a venue's week is: bookings, booked hours and utilization per day.

Selectors only, three queries for any number of venues. A venue's week is
Monday to Sunday in its own time zone. Utilization of a day is the booked
space-hours divided by the open space-hours: the day's opening hours times the
number of bookable spaces. Active bookings (pending or confirmed, event holds
included) count, clipped to the day and to the opening hours, so a booking
that runs past closing adds nothing for the closed part. A booking of a hall
blocks the rooms inside it without counting for them: the figure says how much
of the bookable capacity is sold, not how much is blocked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from venueos.bookings.availability import opening_intervals
from venueos.bookings.models import ACTIVE_STATUSES, Booking
from venueos.common.timeutils import local_wall_time
from venueos.venues.models import OpeningHours, Venue

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class DayUse:
    day: date
    open_hours: float
    booked_hours: float

    @property
    def utilization(self) -> float | None:
        """Booked share of the open space-hours (None on a closed day)."""
        if not self.open_hours:
            return None
        return min(self.booked_hours / self.open_hours, 1.0)


@dataclass(frozen=True)
class WeekNumbers:
    venue: Venue
    days: list[DayUse]
    bookings: int  # active bookings starting this week

    @property
    def booked_hours(self) -> float:
        return sum(day.booked_hours for day in self.days)

    @property
    def open_hours(self) -> float:
        return sum(day.open_hours for day in self.days)

    @property
    def utilization(self) -> float | None:
        if not self.open_hours:
            return None
        return min(self.booked_hours / self.open_hours, 1.0)


def week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _overlap(intervals: list[Interval], start: datetime, end: datetime) -> float:
    """Seconds of [start, end) inside the (disjoint) intervals."""
    return sum(
        max((min(end, high) - max(start, low)).total_seconds(), 0)
        for low, high in intervals
    )


def week_numbers(venues: list[Venue], *, now: datetime) -> list[WeekNumbers]:
    """This week's figures of each venue (the week that contains `now` in the
    venue's zone), in the order given."""
    if not venues:
        return []
    windows = {}
    for venue in venues:
        zone = ZoneInfo(venue.timezone)
        monday = week_start(now.astimezone(zone).date())
        days = [monday + timedelta(days=offset) for offset in range(7)]
        bounds = [local_wall_time(day, 0, zone) for day in days]
        bounds.append(local_wall_time(monday + timedelta(days=7), 0, zone))
        windows[venue.id] = (zone, days, bounds)
    low = min(bounds[0] for _, _, bounds in windows.values())
    high = max(bounds[-1] for _, _, bounds in windows.values())
    venue_ids = [venue.id for venue in venues]

    hours: dict = defaultdict(lambda: defaultdict(list))
    for row in OpeningHours.objects.filter(venue_id__in=venue_ids):
        hours[row.venue_id][row.weekday].append((row.opens_minute, row.closes_minute))
    bookable = dict(
        Venue.objects.filter(pk__in=venue_ids)
        .annotate(
            bookable_spaces=Count("spaces", filter=Q(spaces__is_bookable=True)),
        )
        .values_list("id", "bookable_spaces")
    )
    bookings: dict = defaultdict(list)
    for venue_id, start, end in Booking.objects.filter(
        venue_id__in=venue_ids,
        status__in=ACTIVE_STATUSES,
        start_time__lt=high,
        end_time__gt=low,
    ).values_list("venue_id", "start_time", "end_time"):
        bookings[venue_id].append((start, end))

    results = []
    for venue in venues:
        zone, days, bounds = windows[venue.id]
        spaces = bookable.get(venue.id, 0)
        day_uses = []
        for index, day in enumerate(days):
            day_low, day_high = bounds[index], bounds[index + 1]
            open_intervals = opening_intervals(
                dict(hours[venue.id]), zone, day_low, day_high
            )
            open_seconds = sum((b - a).total_seconds() for a, b in open_intervals)
            booked_seconds = sum(
                _overlap(open_intervals, start, end)
                for start, end in bookings[venue.id]
            )
            day_uses.append(
                DayUse(
                    day=day,
                    open_hours=open_seconds * spaces / 3600,
                    booked_hours=booked_seconds / 3600,
                )
            )
        started = sum(
            1 for start, _ in bookings[venue.id] if bounds[0] <= start < bounds[-1]
        )
        results.append(WeekNumbers(venue=venue, days=day_uses, bookings=started))
    return results
