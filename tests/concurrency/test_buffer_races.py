"""Concurrent bookings that collide only through set-up and clean-up buffers.

Same method as test_booking_races.py: one thread and connection per attempt,
a barrier, exact assertions on the outcome and on the table.
"""

from __future__ import annotations

import threading
from collections import Counter

import psycopg
import pytest

from tests.bookings.helpers import at, future_day
from tests.concurrency.test_booking_races import (
    _dsn,
    active_bookings,
    post_booking,
    race,
)
from tests.conftest import client_for, make_space, make_user
from venueos.integrity import overlapping_bookings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

DAY = future_day(55)


@pytest.fixture
def buffered(venue):
    hall = make_space(venue, name="Hall", capacity=500)
    room = make_space(
        venue, hall, name="Room", buffer_before_minutes=15, buffer_after_minutes=30
    )
    return hall, room


def test_attempts_that_meet_only_through_buffers_give_one_winner(buffered):
    """10:00-11:00 and 11:15-12:00 on the room never overlap as booked, but
    the clean-up (30) and set-up (15) make them collide."""
    hall, room = buffered
    calls = []
    for i in range(40):
        start, end = ("10:00", "11:00") if i % 2 else ("11:15", "12:00")
        calls.append(
            post_booking(client_for(make_user()), room, at(DAY, start), at(DAY, end))
        )
    results = race(calls)
    assert Counter(status for status, _ in results) == Counter({201: 1, 409: 39})
    assert all(
        body["type"].endswith("/booking-conflict")
        for status, body in results
        if status == 409
    )
    assert active_bookings().count() == 1
    assert overlapping_bookings() == []


def test_a_room_and_its_hall_that_meet_only_through_the_rooms_clean_up(buffered):
    hall, room = buffered
    calls = [
        post_booking(
            client_for(make_user()),
            room if i % 2 else hall,
            at(DAY, "14:00") if i % 2 else at(DAY, "15:00"),
            at(DAY, "15:00") if i % 2 else at(DAY, "16:00"),
        )
        for i in range(40)
    ]
    results = race(calls)
    assert Counter(status for status, _ in results) == Counter({201: 1, 409: 39})
    assert active_bookings().count() == 1
    assert overlapping_bookings() == []


def test_raw_concurrent_inserts_without_locks_still_get_one_winner(buffered):
    """No service, no advisory lock, no pre-check: only the constraint decides."""
    hall, room = buffered
    user = make_user()
    attempts = [
        (room, "10:00", "11:00"),
        (room, "11:15", "12:00"),
        (hall, "11:00", "11:30"),
        (room, "11:00", "11:15"),
    ] * 3
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def insert(space, start, end):
        with psycopg.connect(_dsn()) as conn:
            conn.execute("SET lock_timeout = '20s'")
            barrier.wait(timeout=60)
            try:
                conn.execute(
                    "INSERT INTO bookings_booking (id, venue_id, space_id, user_id, "
                    "created_by_id, start_time, end_time, title, description, "
                    "attendee_count, external_meeting_url, status, "
                    "cancellation_reason, created_at, updated_at) "
                    "VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, 'raw', '', "
                    "1, '', 'confirmed', '', now(), now())",
                    [
                        space.venue_id,
                        space.id,
                        user.id,
                        user.id,
                        at(DAY, start),
                        at(DAY, end),
                    ],
                )
                conn.commit()
                result = "ok"
            except psycopg.Error as exc:
                conn.rollback()
                result = exc.sqlstate
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=insert, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(attempts)
    counts = Counter(outcomes)
    assert counts["ok"] == 1, counts
    assert set(counts) <= {"ok", "23P01", "40P01"}, counts
    assert active_bookings().count() == 1
    assert overlapping_bookings() == []
