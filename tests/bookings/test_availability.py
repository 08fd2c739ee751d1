"""Availability search: opening hours, closures, the space tree, the grid, DST,
next_available, alternatives on conflict, the HTTP endpoint and its query count.

Selector tests pass a fixed `now`, so they may use fixed dates (also the 2026
DST days); HTTP tests use days relative to today, because the endpoint reads
the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_space, make_user, make_venue, set_opening_hours
from venueos.bookings.availability import (
    grid_ceil,
    grid_floor,
    space_availability,
)
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.suggestions import suggest_alternatives
from venueos.common.timeutils import local_wall_time, on_grid
from venueos.venues.models import Closure, OpeningHours

pytestmark = pytest.mark.django_db

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


# --- opening hours, closures --------------------------------------------------------


def test_opening_hours_bound_the_free_time(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    assert slots_of(venue, room, *whole_day(venue, DAY)) == [
        ("2026-02-02 09:00", "2026-02-02 17:00")
    ]


def test_a_venue_without_opening_hours_is_open_around_the_clock(org):
    venue = make_venue(org)
    room = make_space(venue)
    start = at(venue, DAY, "00:00")
    assert slots_of(venue, room, start, start + timedelta(days=3)) == [
        ("2026-02-02 00:00", "2026-02-05 00:00")
    ]


def test_several_intervals_a_day_and_closing_at_midnight_merge_across_days(org):
    venue = make_venue(org)
    room = make_space(venue)
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(venue=venue, weekday=0, opens_minute=480, closes_minute=720),
            OpeningHours(venue=venue, weekday=0, opens_minute=780, closes_minute=1440),
            OpeningHours(venue=venue, weekday=1, opens_minute=0, closes_minute=120),
        ]
    )
    start = at(venue, DAY, "00:00")
    assert slots_of(venue, room, start, start + timedelta(days=2)) == [
        ("2026-02-02 08:00", "2026-02-02 12:00"),
        ("2026-02-02 13:00", "2026-02-03 02:00"),
    ]


def test_closed_weekdays_have_no_free_time(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60, weekdays=range(5))
    saturday = DAY + timedelta(days=5)
    assert slots_of(venue, room, *whole_day(venue, saturday)) == []


def test_venue_and_space_closures_cut_the_day(org):
    venue = make_venue(org)
    room, other = make_space(venue), make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    Closure.objects.create(
        venue=venue,
        start_time=at(venue, DAY, "12:00"),
        end_time=at(venue, DAY, "13:00"),
    )
    Closure.objects.create(
        venue=venue,
        space=room,
        start_time=at(venue, DAY, "15:00"),
        end_time=at(venue, DAY, "16:00"),
    )
    window = whole_day(venue, DAY)
    assert slots_of(venue, room, *window) == [
        ("2026-02-02 09:00", "2026-02-02 12:00"),
        ("2026-02-02 13:00", "2026-02-02 15:00"),
        ("2026-02-02 16:00", "2026-02-02 17:00"),
    ]
    assert slots_of(venue, other, *window) == [
        ("2026-02-02 09:00", "2026-02-02 12:00"),
        ("2026-02-02 13:00", "2026-02-02 17:00"),
    ]


def test_closing_the_hall_closes_its_rooms_but_closing_a_room_not_the_hall(org):
    venue = make_venue(org)
    hall = make_space(venue)
    room = make_space(venue, parent=hall)
    alcove = make_space(venue, parent=room)
    sibling = make_space(venue, parent=hall)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    Closure.objects.create(
        venue=venue,
        space=hall,
        start_time=at(venue, DAY, "09:00"),
        end_time=at(venue, DAY, "10:00"),
    )
    Closure.objects.create(
        venue=venue,
        space=room,
        start_time=at(venue, DAY, "16:00"),
        end_time=at(venue, DAY, "17:00"),
    )
    window = whole_day(venue, DAY)
    assert slots_of(venue, alcove, *window) == [
        ("2026-02-02 10:00", "2026-02-02 16:00")
    ]
    assert slots_of(venue, room, *window) == [("2026-02-02 10:00", "2026-02-02 16:00")]
    assert slots_of(venue, sibling, *window) == [
        ("2026-02-02 10:00", "2026-02-02 17:00")
    ]
    assert slots_of(venue, hall, *window) == [("2026-02-02 10:00", "2026-02-02 17:00")]


# --- the space tree ---------------------------------------------------------------


def test_booking_a_room_blocks_the_hall_and_its_alcoves_but_not_the_room_next_door(
    org,
):
    venue = make_venue(org)
    hall = make_space(venue)
    room = make_space(venue, parent=hall)
    alcove = make_space(venue, parent=room)
    next_door = make_space(venue, parent=hall)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "10:00"), at(venue, DAY, "11:00"))
    window = whole_day(venue, DAY)
    busy = [
        ("2026-02-02 09:00", "2026-02-02 10:00"),
        ("2026-02-02 11:00", "2026-02-02 17:00"),
    ]
    assert slots_of(venue, hall, *window) == busy
    assert slots_of(venue, room, *window) == busy
    assert slots_of(venue, alcove, *window) == busy
    assert slots_of(venue, next_door, *window) == [
        ("2026-02-02 09:00", "2026-02-02 17:00")
    ]


def test_booking_the_hall_blocks_every_room_in_it(org):
    venue = make_venue(org)
    hall = make_space(venue)
    rooms = [make_space(venue, parent=hall) for _ in range(2)]
    alcove = make_space(venue, parent=rooms[0])
    elsewhere = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(hall, at(venue, DAY, "09:00"), at(venue, DAY, "12:00"))
    window = whole_day(venue, DAY)
    results = space_availability(
        spaces=[hall, *rooms, alcove, elsewhere],
        start=window[0],
        end=window[1],
        now=NOW,
    )
    starts = {
        r.space.id: [local(venue, s.start_time) for s in r.available_slots]
        for r in results
    }
    for space in (hall, *rooms, alcove):
        assert starts[space.id] == ["2026-02-02 12:00"]
    assert starts[elsewhere.id] == ["2026-02-02 09:00"]


def test_a_grandchild_booking_blocks_the_grandparent_but_two_rooms_can_both_be_busy(
    org,
):
    venue = make_venue(org)
    hall = make_space(venue)
    room = make_space(venue, parent=hall)
    alcove = make_space(venue, parent=room)
    next_door = make_space(venue, parent=hall)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(alcove, at(venue, DAY, "09:00"), at(venue, DAY, "10:00"))
    book(next_door, at(venue, DAY, "16:00"), at(venue, DAY, "17:00"))
    window = whole_day(venue, DAY)
    assert slots_of(venue, hall, *window) == [("2026-02-02 10:00", "2026-02-02 16:00")]
    assert slots_of(venue, room, *window) == [("2026-02-02 10:00", "2026-02-02 17:00")]


def test_cancelled_and_pending_bookings(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    cancelled = book(room, at(venue, DAY, "09:00"), at(venue, DAY, "10:00"))
    cancelled.status = BookingStatus.CANCELLED
    cancelled.cancelled_at = NOW
    cancelled.save()
    book(
        room,
        at(venue, DAY, "16:00"),
        at(venue, DAY, "17:00"),
        status=BookingStatus.PENDING,
    )
    assert slots_of(venue, room, *whole_day(venue, DAY)) == [
        ("2026-02-02 09:00", "2026-02-02 16:00")
    ]


# --- grid, duration, window edges ---------------------------------------------------


def test_free_time_snaps_inward_to_the_slot_grid(org):
    venue = make_venue(org, slot_minutes=30, min_duration_minutes=30)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    Closure.objects.create(
        venue=venue,
        start_time=at(venue, DAY, "11:50"),
        end_time=at(venue, DAY, "13:10"),
    )
    start = at(venue, DAY, "09:05")
    end = at(venue, DAY, "16:55")
    assert slots_of(venue, room, start, end) == [
        ("2026-02-02 09:30", "2026-02-02 11:30"),
        ("2026-02-02 13:30", "2026-02-02 16:30"),
    ]


def test_intervals_shorter_than_the_duration_are_left_out(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "10:00"), at(venue, DAY, "15:00"))
    window = whole_day(venue, DAY)
    assert slots_of(venue, room, *window, duration=120) == [
        ("2026-02-02 15:00", "2026-02-02 17:00")
    ]
    assert slots_of(venue, room, *window, duration=180) == []


def test_duration_is_never_below_the_venue_minimum(org):
    venue = make_venue(org, min_duration_minutes=60)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "09:30"), at(venue, DAY, "16:30"))
    assert slots_of(venue, room, *whole_day(venue, DAY), duration=15) == []


def test_time_before_now_and_beyond_the_horizon_is_not_offered(org):
    venue = make_venue(org, booking_horizon_days=2)
    room = make_space(venue)
    now = at(venue, DAY, "10:07")
    start = at(venue, DAY, "00:00")
    assert slots_of(venue, room, start, start + timedelta(days=5), now=now) == [
        # last start allowed: now + 2 days; a 15-minute slot may run past it
        ("2026-02-02 10:15", "2026-02-04 10:15")
    ]


def test_a_space_that_cannot_be_booked_has_no_free_time(org):
    venue = make_venue(org)
    store = make_space(venue, is_bookable=False)
    (result,) = space_availability(
        spaces=[store],
        start=DAY_START(venue),
        end=DAY_START(venue) + timedelta(1),
        now=NOW,
    )
    assert result.available_slots == [] and result.next_available is None


def DAY_START(venue):  # noqa: N802 - reads like a constant in the tests above
    return at(venue, DAY, "00:00")


# --- DST ----------------------------------------------------------------------------

DST_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29), 23),
    ("Europe/Berlin", date(2026, 10, 25), 25),
    ("America/New_York", date(2026, 3, 8), 23),
    ("America/New_York", date(2026, 11, 1), 25),
]


@pytest.mark.parametrize(("zone", "day", "day_hours"), DST_DAYS)
def test_nine_to_five_stays_eight_local_hours_on_dst_days(org, zone, day, day_hours):
    venue = make_venue(org, timezone=zone)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    window = whole_day(venue, day)
    assert window[1] - window[0] == timedelta(hours=day_hours)
    (result,) = space_availability(
        spaces=[room], start=window[0], end=window[1], now=now
    )
    (slot,) = result.available_slots
    assert local(venue, slot.start_time) == f"{day} 09:00"
    assert local(venue, slot.end_time) == f"{day} 17:00"
    assert slot.end_time - slot.start_time == timedelta(hours=8)
    assert slot.duration_minutes == 480


@pytest.mark.parametrize(("zone", "day", "day_hours"), DST_DAYS)
def test_a_day_open_around_the_clock_has_its_real_length_on_dst_days(
    org, zone, day, day_hours
):
    venue = make_venue(org, timezone=zone, max_duration_minutes=24 * 60)
    room = make_space(venue)
    set_opening_hours(venue, 0, 24 * 60, weekdays=[day.weekday()])
    window = (
        at(venue, day, "00:00") - timedelta(days=1),
        at(venue, day, "00:00") + timedelta(days=2),
    )
    (result,) = space_availability(
        spaces=[room], start=window[0], end=window[1], now=NOW
    )
    (slot,) = result.available_slots
    assert slot.end_time - slot.start_time == timedelta(hours=day_hours)
    assert (local(venue, slot.start_time), local(venue, slot.end_time)) == (
        f"{day} 00:00",
        f"{day + timedelta(days=1)} 00:00",
    )


@pytest.mark.parametrize(("zone", "day", "day_hours"), DST_DAYS)
def test_grid_snapping_is_local_on_dst_days(org, zone, day, day_hours):
    tz = ZoneInfo(zone)
    for slot_minutes in (15, 45, 90, 240):
        instant = local_wall_time(day, 0, tz)
        end = instant + timedelta(hours=day_hours)
        while instant < end:
            up, down = (
                grid_ceil(instant, tz, slot_minutes),
                grid_floor(instant, tz, slot_minutes),
            )
            assert on_grid(up, tz, slot_minutes) and on_grid(down, tz, slot_minutes)
            assert down <= instant <= up
            probe = down + timedelta(minutes=1)
            while probe < up:
                assert not on_grid(probe, tz, slot_minutes)
                probe += timedelta(minutes=1)
            instant += timedelta(minutes=7, seconds=30)


# --- next_available -----------------------------------------------------------------


def test_next_available_is_the_first_fitting_start_in_the_window(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    book(room, at(venue, DAY, "09:00"), at(venue, DAY, "10:00"))
    book(room, at(venue, DAY, "10:30"), at(venue, DAY, "12:00"))
    (result,) = space_availability(
        spaces=[room],
        start=DAY_START(venue),
        end=DAY_START(venue) + timedelta(1),
        duration_minutes=60,
        now=NOW,
    )
    assert local(venue, result.next_available) == "2026-02-02 12:00"


def test_next_available_looks_past_a_fully_booked_window(org):
    venue = make_venue(org)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    Closure.objects.create(
        venue=venue,
        space=room,
        start_time=at(venue, DAY, "00:00"),
        end_time=at(venue, DAY + timedelta(days=40), "13:00"),
    )
    (result,) = space_availability(
        spaces=[room],
        start=DAY_START(venue),
        end=DAY_START(venue) + timedelta(1),
        duration_minutes=120,
        now=NOW,
    )
    assert result.available_slots == []
    assert local(venue, result.next_available) == "2026-03-14 13:00"


def test_next_available_is_null_when_nothing_fits_before_the_horizon(org):
    venue = make_venue(org, booking_horizon_days=60)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    Closure.objects.create(
        venue=venue,
        start_time=at(venue, DAY, "00:00"),
        end_time=at(venue, DAY + timedelta(days=400), "00:00"),
    )
    (result,) = space_availability(
        spaces=[room],
        start=DAY_START(venue),
        end=DAY_START(venue) + timedelta(1),
        now=NOW,
    )
    assert result.next_available is None


def test_next_available_spans_window_edges_and_never_lies_in_the_past(org):
    venue = make_venue(org)
    room = make_space(venue)
    start = at(venue, DAY, "00:00")
    now = at(venue, DAY, "15:20")
    (result,) = space_availability(
        spaces=[room],
        start=start - timedelta(days=3),
        end=start,
        duration_minutes=60,
        now=now,
    )
    assert result.available_slots == []
    assert local(venue, result.next_available) == "2026-02-02 15:30"


def test_duration_that_opening_hours_never_allow_has_no_next_available(org):
    venue = make_venue(org, max_duration_minutes=600, booking_horizon_days=30)
    room = make_space(venue)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    (result,) = space_availability(
        spaces=[room],
        start=DAY_START(venue),
        end=DAY_START(venue) + timedelta(1),
        duration_minutes=540,
        now=NOW,
    )
    assert result.available_slots == [] and result.next_available is None


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


# --- the HTTP endpoint --------------------------------------------------------------

SEARCH = "/api/v1/availability/search/"


def future_day(venue, days_ahead: int = 30) -> date:
    """A Monday at least `days_ahead` days from today (the endpoint reads the clock)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(venue.timezone)).date()
    day = today + timedelta(days=days_ahead)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def window_params(venue, day: date, days: int = 1) -> dict:
    start = at(venue, day, "00:00")
    return {
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(days=days)).isoformat(),
    }


def test_search_one_space_anonymously(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue, features=["projector"], capacity=12)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    day = future_day(venue)
    book(room, at(venue, day, "10:00"), at(venue, day, "11:00"))
    response = anon_client.get(
        SEARCH, {**window_params(venue, day), "space_id": str(room.id), "duration": 60}
    )
    assert response.status_code == 200, response.json()
    (item,) = response.json()
    expected_space = {
        "id": str(room.id),
        "name": room.name,
        "venue_id": str(venue.id),
        "capacity": 12,
        "features": ["projector"],
    }
    assert item["space"] == expected_space and item["facility"] == expected_space
    utc = ZoneInfo("UTC")
    assert item["available_slots"] == [
        {
            "start_time": at(venue, day, a)
            .astimezone(utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": at(venue, day, b)
            .astimezone(utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_minutes": minutes,
        }
        for a, b, minutes in (("09:00", "10:00", 60), ("11:00", "17:00", 360))
    ]
    assert item["next_available"] == item["available_slots"][0]["start_time"]


def test_facility_id_and_the_path_without_slash_work(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue)
    params = {**window_params(venue, future_day(venue)), "facility_id": str(room.id)}
    for path in (SEARCH, SEARCH.rstrip("/")):
        response = anon_client.get(path, params)
        assert response.status_code == 200, response.content
        assert [item["facility"]["id"] for item in response.json()] == [str(room.id)]


def test_venue_search_lists_bookable_spaces_with_capacity_and_features(
    org, anon_client
):
    venue = make_venue(org)
    match = make_space(venue, name="A", capacity=30, features=["projector", "stage"])
    make_space(venue, name="B", capacity=10, features=["projector", "stage"])
    make_space(venue, name="C", capacity=50, features=["projector"])
    make_space(
        venue, name="D", capacity=50, features=["projector", "stage"], is_bookable=False
    )
    make_space(make_venue(org), name="E", capacity=50, features=["projector", "stage"])
    response = anon_client.get(
        SEARCH,
        {
            **window_params(venue, future_day(venue)),
            "venue_id": str(venue.id),
            "min_capacity": "20",
            "features": "stage, projector",
        },
    )
    assert response.status_code == 200, response.json()
    assert [item["space"]["id"] for item in response.json()] == [str(match.id)]


def test_space_search_that_does_not_match_the_filters_is_empty(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue, capacity=5)
    response = anon_client.get(
        SEARCH,
        {
            **window_params(venue, future_day(venue)),
            "space_id": str(room.id),
            "min_capacity": 6,
        },
    )
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(
    ("change", "slug", "field"),
    [
        ({"start_time": None}, "missing-parameter", "start_time"),
        ({"end_time": None}, "missing-parameter", "end_time"),
        ({"start_time": "2030-01-01T09:00:00"}, "invalid-timestamp", "start_time"),
        ({"end_time": "next tuesday"}, "invalid-timestamp", "end_time"),
        ({"end_time": "START"}, "invalid-window", "end_time"),
        ({"end_time": "START+32d"}, "window-too-long", "end_time"),
        ({"space_id": None}, "missing-parameter", "space_id"),
        ({"space_id": "not-a-uuid"}, "invalid-id", "space_id"),
        ({"facility_id": "OTHER"}, "conflicting-parameters", "space_id"),
        ({"venue_id": "VENUE"}, "conflicting-parameters", "venue_id"),
        ({"space_id": "UNKNOWN"}, "unknown-space", "space_id"),
        ({"space_id": None, "venue_id": "UNKNOWN"}, "unknown-venue", "venue_id"),
        ({"space_id": None, "venue_id": "ARCHIVED"}, "unknown-venue", "venue_id"),
        ({"space_id": "STORE"}, "space-not-bookable", "space_id"),
        ({"duration": "abc"}, "invalid-duration", "duration"),
        ({"duration": "0"}, "invalid-duration", "duration"),
        ({"duration": "20"}, "invalid-duration", "duration"),
        ({"duration": "495"}, "invalid-duration", "duration"),
        ({"min_capacity": "-1"}, "invalid-min-capacity", "min_capacity"),
        ({"min_capacity": "many"}, "invalid-min-capacity", "min_capacity"),
        ({"features": "x" * 51}, "invalid-features", "features"),
    ],
)
def test_bad_input_is_a_400_problem_with_its_own_type(
    org, anon_client, change, slug, field
):
    venue = make_venue(org)
    room = make_space(venue)
    other = make_space(venue)
    store = make_space(venue, is_bookable=False)
    archived = make_venue(org, archived_at=NOW)
    day = future_day(venue)
    params = {**window_params(venue, day), "space_id": str(room.id)}
    start = at(venue, day, "00:00")
    replacements = {
        "START": start.isoformat(),
        "START+32d": (start + timedelta(days=32)).isoformat(),
        "OTHER": str(other.id),
        "VENUE": str(venue.id),
        "UNKNOWN": "00000000-0000-4000-8000-000000000000",
        "ARCHIVED": str(archived.id),
        "STORE": str(store.id),
    }
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = replacements.get(value, value)
    response = anon_client.get(SEARCH, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + slug
    assert field in body["errors"] and body["detail"]


def test_the_search_is_described_in_the_openapi_schema(anon_client):
    response = anon_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/availability/search/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"start_time", "end_time", "space_id", "facility_id", "venue_id"} <= names
    assert {"duration", "min_capacity", "features"} <= names
    assert "200" in operation["responses"] and "400" in operation["responses"]
    assert "/api/v1/availability/search" not in response.json()["paths"]


def _venue_with_spaces(org, count: int):
    venue = make_venue(org)
    set_opening_hours(venue, 8 * 60, 20 * 60)
    hall = make_space(venue)
    spaces = [hall]
    for n in range(count - 1):
        spaces.append(make_space(venue, parent=spaces[n // 3]))
    day = future_day(venue)
    parents = {space.parent_id for space in spaces}
    leaves = [space for space in spaces if space.id not in parents]
    for n, space in enumerate(leaves):
        begin = at(venue, day + timedelta(days=n % 5), "09:00") + timedelta(hours=n % 4)
        book(space, begin, begin + timedelta(hours=1))
    Closure.objects.create(
        venue=venue,
        space=spaces[1],
        start_time=at(venue, day, "18:00"),
        end_time=at(venue, day, "19:00"),
    )
    return venue, day


@pytest.mark.parametrize("count", [3, 30])
def test_venue_search_costs_a_fixed_number_of_queries(
    org, anon_client, django_assert_num_queries, count
):
    venue, day = _venue_with_spaces(org, count)
    params = {**window_params(venue, day, days=7), "venue_id": str(venue.id)}
    # venue, spaces, space tree, opening hours, closures, claims
    with django_assert_num_queries(6):
        response = anon_client.get(SEARCH, params)
    assert response.status_code == 200
    assert len(response.json()) == count


@pytest.mark.parametrize("days", [1, 31])
def test_space_search_costs_a_fixed_number_of_queries(
    org, anon_client, django_assert_num_queries, days
):
    venue, day = _venue_with_spaces(org, 5)
    room = venue.spaces.filter(parent__isnull=False).first()
    params = {**window_params(venue, day, days=days), "space_id": str(room.id)}
    # space with venue, space tree, opening hours, closures, claims
    with django_assert_num_queries(5):
        response = anon_client.get(SEARCH, params)
    assert response.status_code == 200


def test_fast_availability_json_matches_the_documented_serializer(org):
    """The API renders results with `availability_json`; the schema documents
    `SpaceAvailabilityOut`. They must never drift apart."""
    from venueos.bookings.availability import space_availability
    from venueos.bookings.serializers import (
        SpaceAvailabilityOut,
        availability_json,
    )

    venue = make_venue(org, timezone="Europe/Berlin")
    hall = make_space(venue, name="Hall", features=["stage"])
    room = make_space(venue, hall, name="Room")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
        days=3
    )
    Booking.objects.create(
        venue=venue, space=room, user=make_user(), created_by=make_user(),
        start_time=start + timedelta(hours=2), end_time=start + timedelta(hours=3), title="x",
    )  # fmt: skip
    results = space_availability(
        spaces=[hall, room], start=start, end=start + timedelta(days=1)
    )
    assert any(result.available_slots for result in results)
    assert [availability_json(r) for r in results] == SpaceAvailabilityOut(
        results, many=True
    ).data
