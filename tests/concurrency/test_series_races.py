"""Recurring series racing each other and single bookings: real connections,
a barrier, exact outcomes (the series is one transaction, all or the rest)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.bookings.helpers import at, future_day, iso
from tests.concurrency.test_booking_races import active_bookings, post_booking, race
from tests.conftest import client_for, make_space, make_user
from venueos.integrity import overlapping_bookings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

FIRST = future_day(60)


def post_series(client, space, on_conflict, count=10):
    def call():
        response = client.post(
            "/api/v1/bookings/series/",
            {
                "space_id": str(space.id),
                "start_time": iso(at(FIRST, "09:00")),
                "end_time": iso(at(FIRST, "10:00")),
                "title": "weekly",
                "recurrence": {"freq": "weekly", "count": count},
                "on_conflict": on_conflict,
            },
            format="json",
        )
        return response.status_code, response.json()

    return call


@pytest.fixture
def hall_and_room(venue):
    hall = make_space(venue, name="Hall", capacity=500)
    room = make_space(venue, hall, name="Room", buffer_after_minutes=30)
    return hall, room


def test_series_and_single_bookings_racing_for_one_occurrence_give_one_winner(
    hall_and_room,
):
    """Ten 'fail' series of the room and ten single bookings of the hall that
    meet the 5th occurrence only through the room's clean-up time."""
    hall, room = hall_and_room
    day = FIRST + timedelta(weeks=4)
    calls = [post_series(client_for(make_user()), room, "fail") for _ in range(10)]
    calls += [
        post_booking(client_for(make_user()), hall, at(day, "10:00"), at(day, "11:00"))
        for _ in range(10)
    ]
    results = race(calls)
    assert Counter(status for status, _ in results) == Counter({201: 1, 409: 19})
    winner = next(body for status, body in results if status == 201)
    if "bookings" in winner:
        assert active_bookings().count() == 10
        series_ids = active_bookings().values_list("series_id", flat=True)
        assert {str(series_id) for series_id in series_ids} == {winner["id"]}
    else:
        assert active_bookings().count() == 1
        assert active_bookings().get().space_id == hall.id
    assert overlapping_bookings() == []


def test_a_skip_series_racing_single_bookings_takes_exactly_the_rest(hall_and_room):
    hall, room = hall_and_room
    singles = [
        post_booking(
            client_for(make_user()),
            room,
            at(FIRST + timedelta(weeks=week), "09:30"),
            at(FIRST + timedelta(weeks=week), "10:30"),
        )
        for week in range(10)
    ]
    results = race([post_series(client_for(make_user()), room, "skip"), *singles])
    series_status, series_body = results[0]
    single_wins = [status for status, _ in results[1:]].count(201)
    assert {status for status, _ in results[1:]} <= {201, 409}
    # Every week has exactly one active booking: the single one or the series'.
    assert active_bookings().count() == 10
    if series_status == 201:
        assert len(series_body["bookings"]) == 10 - single_wins
        assert len(series_body["skipped"]) == single_wins
        assert {s["reason"] for s in series_body["skipped"]} <= {"booking-conflict"}
    else:
        assert series_status == 409 and single_wins == 10
    assert overlapping_bookings() == []
