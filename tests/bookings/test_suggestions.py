"""Alternatives offered with a 409 booking-conflict (bookings/suggestions.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.bookings.availability_helpers import (
    DAY,
    NOW,
    at,
    book,
    local,
)
from tests.conftest import make_space, make_venue, set_opening_hours
from venueos.bookings.suggestions import suggest_alternatives
from venueos.common.timeutils import on_grid
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db


# --- alternatives on conflict -------------------------------------------------------


def test_alternatives_offer_nearest_times_on_the_space_then_other_spaces(org):
    venue = make_venue(org)
    room = make_space(venue, capacity=10)
    small = make_space(venue, capacity=4)
    big = make_space(venue, capacity=40)
    bigger = make_space(venue, capacity=80)
    make_space(venue, capacity=100, is_bookable=False)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "10:00"), at(venue, DAY, "12:00"))
    book(room, at(venue, DAY, "13:00"), at(venue, DAY, "14:00"))
    book(big, at(venue, DAY, "11:00"), at(venue, DAY, "11:15"))
    start, end = at(venue, DAY, "11:00"), at(venue, DAY, "12:00")
    suggestions = suggest_alternatives(
        space=room, start=start, end=end, attendee_count=8, now=NOW
    )
    described = [
        (local(venue, s["start_time"]), local(venue, s["end_time"]), s["space_id"])
        for s in suggestions
    ]
    assert described == [
        ("2026-02-02 12:00", "2026-02-02 13:00", room.id),
        ("2026-02-02 09:00", "2026-02-02 10:00", room.id),
        ("2026-02-02 14:00", "2026-02-02 15:00", room.id),
        ("2026-02-01 16:00", "2026-02-01 17:00", room.id),
        ("2026-02-02 11:00", "2026-02-02 12:00", bigger.id),
    ]
    assert all(s["duration_minutes"] == 60 for s in suggestions)
    assert small.id not in {s["space_id"] for s in suggestions}


def test_alternatives_fill_up_from_the_same_space_and_stay_in_the_future(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "09:00"), at(venue, DAY, "17:00"))
    now = at(venue, DAY, "08:00")
    start, end = at(venue, DAY, "10:00"), at(venue, DAY, "11:00")
    suggestions = suggest_alternatives(
        space=room, start=start, end=end, attendee_count=1, limit=3, now=now
    )
    assert [local(venue, s["start_time"]) for s in suggestions] == [
        "2026-02-03 09:00",
        "2026-02-03 10:00",
        "2026-02-03 11:00",
    ]


def test_alternatives_respect_the_venue_rules(org):
    venue = make_venue(
        org, slot_minutes=30, min_duration_minutes=30, booking_horizon_days=40
    )
    room = make_space(venue, capacity=5)
    make_space(venue, capacity=5)
    set_opening_hours(venue, 9 * 60, 17 * 60, weekdays=range(5))
    book(room, at(venue, DAY, "09:00"), at(venue, DAY, "17:00"))
    Closure.objects.create(
        venue=venue,
        space=room,
        start_time=at(venue, DAY + timedelta(days=1), "00:00"),
        end_time=at(venue, DAY + timedelta(days=1), "12:10"),
    )
    start, end = at(venue, DAY, "10:00"), at(venue, DAY, "11:30")
    suggestions = suggest_alternatives(
        space=room, start=start, end=end, attendee_count=5, now=NOW
    )
    zone = ZoneInfo(venue.timezone)
    assert suggestions
    for suggestion in suggestions:
        begin, finish = suggestion["start_time"], suggestion["end_time"]
        assert finish - begin == timedelta(minutes=90)
        assert on_grid(begin, zone, 30) and on_grid(finish, zone, 30)
        local_begin = begin.astimezone(zone)
        assert local_begin.weekday() < 5
        assert "09:00" <= local_begin.strftime("%H:%M") <= "15:30"
    same = [s for s in suggestions if s["space_id"] == room.id]
    assert local(venue, same[0]["start_time"]) == "2026-02-03 12:30"
    # too long or off-limits requests get nothing rather than unbookable advice
    assert (
        suggest_alternatives(
            space=room,
            start=start,
            end=start + timedelta(hours=9),
            attendee_count=1,
            now=NOW,
        )
        == []
    )
    assert (
        suggest_alternatives(
            space=room, start=start, end=end, attendee_count=6, now=NOW
        )
        == []
    )


def test_alternatives_leave_room_for_other_spaces_when_both_kinds_exist(org):
    venue = make_venue(org)
    room = make_space(venue, capacity=10)
    others = [make_space(venue, capacity=10 + n) for n in range(3)]
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "11:00"), at(venue, DAY, "12:00"))
    suggestions = suggest_alternatives(
        space=room,
        start=at(venue, DAY, "11:00"),
        end=at(venue, DAY, "12:00"),
        attendee_count=2,
        now=NOW,
    )
    assert [s["space_id"] for s in suggestions] == [room.id] * 3 + [
        others[0].id,
        others[1].id,
    ]
