"""Helpers of the availability tests: fixed dates (the selectors take `now`),
venue-local times, bookings made straight in the table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import make_user
from venueos.bookings.availability import (
    space_availability,
)
from venueos.bookings.models import Booking
from venueos.common.timeutils import local_wall_time

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = date(2026, 2, 2)  # a Monday, well after NOW
PROBLEM = "https://venueos.dev/problems/"


def at(venue, day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return local_wall_time(day, hours * 60 + minutes, ZoneInfo(venue.timezone))


def local(venue, instant: datetime) -> str:
    return instant.astimezone(ZoneInfo(venue.timezone)).strftime("%Y-%m-%d %H:%M")


def book(space, start, end, **fields) -> Booking:
    user = make_user()
    return Booking.objects.create(
        venue=space.venue,
        space=space,
        user=user,
        created_by=user,
        start_time=start,
        end_time=end,
        title="Meeting",
        **fields,
    )


def slots_of(venue, space, start, end, duration=None, now=NOW):
    (result,) = space_availability(
        spaces=[space], start=start, end=end, duration_minutes=duration, now=now
    )
    return [
        (local(venue, slot.start_time), local(venue, slot.end_time))
        for slot in result.available_slots
    ]


def whole_day(venue, day: date):
    return at(venue, day, "00:00"), at(venue, day + timedelta(days=1), "00:00")
