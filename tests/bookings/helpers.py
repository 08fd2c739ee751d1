"""Booking test helpers: future dates that stay future, and DST days found
from the zone's own rules rather than hard-coded calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def future_day(days: int = 30) -> date:
    return (timezone.now() + timedelta(days=days)).date()


def at(day: date, hhmm: str, zone: str = "Europe/Berlin") -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(zone))


def iso(value: datetime) -> str:
    return value.isoformat()


def next_dst_change(zone_name: str, *, spring: bool) -> date:
    """The next local day on which the zone's UTC offset grows (spring) or shrinks."""
    zone = ZoneInfo(zone_name)
    day = timezone.now().date() + timedelta(days=2)
    for _ in range(800):
        # From this midnight to the next: a change at midnight (America/Santiago)
        # belongs to the day that ends or starts with it.
        following = day + timedelta(days=1)
        before = datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset()
        after = datetime(
            following.year, following.month, following.day, tzinfo=zone
        ).utcoffset()
        if before != after and (after > before) == spring:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no DST change found for {zone_name}")


def utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def book(client, space, start, end, **extra):
    body = {
        "space_id": str(space.id),
        "start_time": iso(start),
        "end_time": iso(end),
        "title": "Meeting",
    }
    body.update(extra)
    return client.post(
        "/api/v1/bookings/", body, format="json", **extra.pop("headers", {})
    )
