"""Availability: opening hours, closures, the space tree, the grid, DST and
next_available (the selectors, with a fixed `now`, so fixed dates work, also
the 2026 DST days). Alternatives on conflict: test_suggestions.py; the HTTP
endpoint: test_availability_api.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.bookings.availability_helpers import (
    DAY,
    NOW,
    at,
    book,
    local,
    slots_of,
    whole_day,
)
from tests.conftest import make_space, make_venue, set_opening_hours
from venueos.bookings.availability import (
    grid_ceil,
    grid_floor,
    space_availability,
)
from venueos.bookings.models import BookingStatus
from venueos.common.timeutils import local_wall_time, on_grid
from venueos.venues.models import Closure, OpeningHours

pytestmark = pytest.mark.django_db


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
