"""Real concurrent connections racing for the same time, started together.

Every thread has its own PostgreSQL connection (Django keeps one per thread),
waits at a barrier, then fires. The assertions are exact: one winner, every
other attempt a clean 409, and no overlapping active bookings in the table.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import client_for, make_space, make_user
from venueos.bookings.models import Booking
from venueos.common.locking import advisory_key
from venueos.integrity import overlapping_bookings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

DAY = future_day(50)


def race(calls):
    """Run every call at the same moment, one thread and connection each."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=60)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def post_booking(client, space, start, end, **headers):
    def call():
        response = client.post(
            "/api/v1/bookings/",
            {
                "space_id": str(space.id),
                "start_time": iso(start),
                "end_time": iso(end),
                "title": "race",
            },
            format="json",
            **headers,
        )
        return response.status_code, response.json()

    return call


def active_bookings():
    return Booking.objects.filter(status__in=["pending", "confirmed"])


@pytest.fixture
def hall_and_room(venue):
    hall = make_space(venue, name="Hall", capacity=500)
    room = make_space(venue, hall, name="Room", capacity=50)
    return hall, room


def test_one_hundred_attempts_on_one_slot_mixing_room_and_hall_give_one_winner(
    hall_and_room,
):
    hall, room = hall_and_room
    clients = [client_for(make_user()) for _ in range(100)]
    calls = [
        post_booking(
            client, hall if i % 2 else room, at(DAY, "10:00"), at(DAY, "11:00")
        )
        for i, client in enumerate(clients)
    ]
    results = race(calls)
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 1, 409: 99}), statuses
    losers = [body for status, body in results if status == 409]
    assert all(body["type"].endswith("/booking-conflict") for body in losers)
    assert active_bookings().count() == 1
    assert overlapping_bookings() == []


def test_siblings_booked_at_the_same_instant_all_win(venue):
    hall = make_space(venue, name="Hall", capacity=500)
    rooms = [make_space(venue, hall, name=f"Room {i}") for i in range(20)]
    calls = [
        post_booking(client_for(make_user()), room, at(DAY, "10:00"), at(DAY, "11:00"))
        for room in rooms
    ]
    results = race(calls)
    assert Counter(status for status, _ in results) == Counter({201: 20})
    assert active_bookings().count() == 20
    assert overlapping_bookings() == []


def test_concurrent_moves_into_the_same_slot_leave_one_booking_there(hall_and_room):
    hall, room = hall_and_room
    owners = [make_user() for _ in range(20)]
    bookings = []
    for i, owner in enumerate(owners):
        start = at(DAY + timedelta(days=1 + i), "10:00")
        end = at(DAY + timedelta(days=1 + i), "11:00")
        bookings.append(
            Booking.objects.create(
                venue=room.venue,
                space=room,
                user=owner,
                created_by=owner,
                start_time=start,
                end_time=end,
                title="t",
            )
        )
    clients = [client_for(owner) for owner in owners]

    def move(client, booking, target):
        def call():
            response = client.patch(
                f"/api/v1/bookings/{booking.id}/",
                {
                    "space_id": str(target.id),
                    "start_time": iso(at(DAY, "14:00")),
                    "end_time": iso(at(DAY, "15:00")),
                },
                format="json",
            )
            return response.status_code, response.json()

        return call

    results = race(
        [
            move(c, b, hall if i % 2 else room)
            for i, (c, b) in enumerate(zip(clients, bookings, strict=True))
        ]
    )
    assert Counter(status for status, _ in results) == Counter({200: 1, 409: 19})
    assert active_bookings().filter(start_time=at(DAY, "14:00")).count() == 1
    assert active_bookings().count() == 20
    assert overlapping_bookings() == []


def test_racing_retries_of_one_idempotency_key_create_exactly_one_booking(
    hall_and_room,
):
    _, room = hall_and_room
    client = client_for(make_user())
    calls = [
        post_booking(
            client,
            room,
            at(DAY, "16:00"),
            at(DAY, "17:00"),
            HTTP_IDEMPOTENCY_KEY="same-key",
        )
        for _ in range(20)
    ]
    results = race(calls)
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert Booking.objects.count() == 1


def test_a_wait_longer_than_lock_timeout_is_a_clean_409(hall_and_room, settings):
    """Another transaction sits on the space's lock: the request gives up, no 500."""
    hall, room = hall_and_room
    settings.VENUEOS_LOCK_TIMEOUT_MS = 200
    client = client_for(make_user())
    with psycopg.connect(_dsn()) as blocker:
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(room.id)])
        status, body = post_booking(client, room, at(DAY, "18:00"), at(DAY, "19:00"))()
        blocker.rollback()
    assert status == 409
    assert body["type"].endswith("/booking-conflict")
    assert "try again" in body["detail"]
    assert not Booking.objects.exists()


def _dsn() -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{
            key: value
            for key, value in params.items()
            if key in {"dbname", "user", "password", "host", "port"}
        }
    )
