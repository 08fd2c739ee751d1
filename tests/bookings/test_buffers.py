"""Set-up and clean-up buffers: a booking occupies [start - before, end + after)
for the conflict rule, in the claims' exclusion constraint itself, while its
own times stay as booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from tests.bookings.helpers import at, future_day, iso, utc
from tests.conftest import client_for, make_space
from venueos.bookings.availability import space_availability
from venueos.bookings.models import Booking
from venueos.bookings.suggestions import suggest_alternatives
from venueos.integrity import integrity_problems, overlapping_bookings

DAY = future_day(40)


def _book(client, space, start, end, title="meeting"):
    return client.post(
        "/api/v1/bookings/",
        {
            "space_id": str(space.id),
            "start_time": iso(start),
            "end_time": iso(end),
            "title": title,
        },
        format="json",
    )


def _raw_booking(space, user, start, end):
    return Booking.objects.create(
        venue_id=space.venue_id,
        space=space,
        user=user,
        created_by=user,
        start_time=start,
        end_time=end,
        title="raw",
    )


def _claim_periods(booking):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(period), upper(period) FROM bookings_bookingclaim "
            "WHERE booking_id = %s",
            [booking.id],
        )
        return set(cursor.fetchall())


@pytest.fixture
def hall_and_rooms(venue):
    hall = make_space(venue, name="Hall", capacity=500)
    room = make_space(
        venue,
        hall,
        name="Room",
        buffer_before_minutes=15,
        buffer_after_minutes=30,
    )
    other = make_space(venue, hall, name="Other room")
    return hall, room, other


# --- the space fields -----------------------------------------------------------------


def test_space_buffers_default_to_zero_and_come_back(manager, venue):
    client = client_for(manager)
    response = client.post(
        "/api/v1/spaces/",
        {"venue_id": str(venue.id), "name": "Studio", "capacity": 10},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["buffer_before_minutes"], body["buffer_after_minutes"]) == (0, 0)
    response = client.patch(
        f"/api/v1/spaces/{body['id']}/",
        {"buffer_before_minutes": 240, "buffer_after_minutes": 15},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["buffer_before_minutes"] == 240
    assert response.json()["buffer_after_minutes"] == 15


@pytest.mark.parametrize("value", [-1, 241, "ten", None])
def test_space_buffers_outside_0_to_240_are_a_400(manager, venue, value):
    response = client_for(manager).post(
        "/api/v1/spaces/",
        {
            "venue_id": str(venue.id),
            "name": "Studio",
            "capacity": 10,
            "buffer_after_minutes": value,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "buffer_after_minutes" in response.json()["errors"]


def test_the_database_refuses_buffers_outside_0_to_240(venue):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_space(venue, buffer_before_minutes=241)


# --- the conflict rule ----------------------------------------------------------------


def test_a_booking_keeps_its_own_times_and_claims_the_buffered_period(
    hall_and_rooms, customer
):
    hall, room, _ = hall_and_rooms
    response = _book(client_for(customer), room, at(DAY, "10:00"), at(DAY, "11:00"))
    assert response.status_code == 201
    body = response.json()
    assert body["start_time"] == utc(at(DAY, "10:00"))
    assert body["end_time"] == utc(at(DAY, "11:00"))
    booking = Booking.objects.get(pk=body["id"])
    assert _claim_periods(booking) == {(at(DAY, "09:45"), at(DAY, "11:30"))}
    assert booking.claims.count() == 2  # the room and the hall


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("11:00", "12:00", 409),  # in the 30-minute clean-up
        ("11:15", "12:00", 409),  # clean-up 11:30 meets the next set-up from 11:15
        ("11:45", "12:30", 201),  # set-up from 11:30: just free
        ("08:30", "09:30", 409),  # its clean-up until 10:00 meets our set-up at 09:45
        ("08:00", "09:15", 201),  # clean-up until 09:45, set-up from 09:45
    ],
)
def test_the_same_space_is_blocked_by_set_up_and_clean_up(
    hall_and_rooms, customer, start, end, status
):
    _, room, _ = hall_and_rooms
    client = client_for(customer)
    assert _book(client, room, at(DAY, "10:00"), at(DAY, "11:00")).status_code == 201
    response = _book(client, room, at(DAY, start), at(DAY, end))
    assert response.status_code == status, response.json()
    if status == 409:
        body = response.json()
        assert body["type"].endswith("/booking-conflict")
        assert body["conflicting_booking"]["start_time"] == utc(at(DAY, "10:00"))
    assert overlapping_bookings() == []


def test_a_rooms_clean_up_blocks_the_hall_but_not_the_room_next_door(
    hall_and_rooms, customer
):
    hall, room, other = hall_and_rooms
    client = client_for(customer)
    assert _book(client, room, at(DAY, "10:00"), at(DAY, "11:00")).status_code == 201
    assert _book(client, hall, at(DAY, "11:00"), at(DAY, "12:00")).status_code == 409
    assert _book(client, hall, at(DAY, "09:00"), at(DAY, "09:45")).status_code == 201
    assert _book(client, other, at(DAY, "11:00"), at(DAY, "12:00")).status_code == 201
    assert _book(client, hall, at(DAY, "12:00"), at(DAY, "13:00")).status_code == 201


def test_the_constraint_itself_refuses_a_collision_through_a_buffer(
    hall_and_rooms, customer
):
    """Written straight to the table (no service, no lock, no pre-check)."""
    hall, room, _ = hall_and_rooms
    _raw_booking(room, customer, at(DAY, "10:00"), at(DAY, "11:00"))
    with pytest.raises(IntegrityError, match="claim_no_conflict"), transaction.atomic():
        _raw_booking(room, customer, at(DAY, "11:15"), at(DAY, "12:00"))
    with pytest.raises(IntegrityError, match="claim_no_conflict"), transaction.atomic():
        _raw_booking(hall, customer, at(DAY, "11:00"), at(DAY, "11:15"))
    # The application cannot smuggle in smaller buffers: the trigger owns them.
    with (
        pytest.raises(IntegrityError, match="claim_no_conflict"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO bookings_booking (id, venue_id, space_id, user_id, "
            "created_by_id, start_time, end_time, title, description, "
            "attendee_count, external_meeting_url, status, cancellation_reason, "
            "created_at, updated_at, buffer_before_minutes, buffer_after_minutes) "
            "VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, 'x', '', 1, '', "
            "'confirmed', '', now(), now(), 0, 0)",
            [
                room.venue_id,
                room.id,
                customer.id,
                customer.id,
                at(DAY, "11:15"),
                at(DAY, "12:00"),
            ],
        )


def test_changing_buffers_rechecks_nothing_booked_but_applies_to_new_and_moved(
    hall_and_rooms, customer, manager
):
    hall, room, _ = hall_and_rooms
    client = client_for(customer)
    first = _book(client, room, at(DAY, "10:00"), at(DAY, "11:00")).json()
    second = _book(client, room, at(DAY, "12:00"), at(DAY, "13:00")).json()
    response = client_for(manager).patch(
        f"/api/v1/spaces/{room.id}/",
        {"buffer_before_minutes": 60, "buffer_after_minutes": 60},
        format="json",
    )
    assert response.status_code == 200
    # Both stay, with the claims they were made with; nothing is reported broken.
    booking = Booking.objects.get(pk=first["id"])
    assert booking.status == "confirmed"
    assert _claim_periods(booking) == {(at(DAY, "09:45"), at(DAY, "11:30"))}
    assert overlapping_bookings() == []
    # A new booking gets the new buffers: 14:00 needs 13:00-14:00 free of the
    # second booking's claims (which end at 13:30).
    assert _book(client, room, at(DAY, "14:00"), at(DAY, "15:00")).status_code == 409
    assert _book(client, room, at(DAY, "14:30"), at(DAY, "15:00")).status_code == 201
    # A title change is not a move: the old buffers stay.
    client.patch(f"/api/v1/bookings/{first['id']}/", {"title": "renamed"}, "json")
    assert _claim_periods(Booking.objects.get(pk=first["id"])) == {
        (at(DAY, "09:45"), at(DAY, "11:30"))
    }
    # A move takes the new buffers, and is refused where they collide.
    response = client.patch(
        f"/api/v1/bookings/{first['id']}/",
        {"start_time": iso(at(DAY, "09:00")), "end_time": iso(at(DAY, "10:00"))},
        format="json",
    )
    assert response.status_code == 200
    assert _claim_periods(Booking.objects.get(pk=first["id"])) == {
        (at(DAY, "08:00"), at(DAY, "11:00"))
    }
    response = client.patch(
        f"/api/v1/bookings/{second['id']}/",
        {"start_time": iso(at(DAY, "11:30")), "end_time": iso(at(DAY, "12:00"))},
        format="json",
    )
    assert response.status_code == 409


def test_a_cancelled_booking_frees_its_buffers(hall_and_rooms, customer):
    _, room, _ = hall_and_rooms
    client = client_for(customer)
    booking = _book(client, room, at(DAY, "10:00"), at(DAY, "11:00")).json()
    assert client.delete(f"/api/v1/bookings/{booking['id']}/").status_code == 204
    assert _book(client, room, at(DAY, "11:00"), at(DAY, "12:00")).status_code == 201


# --- availability and alternatives leave buffer time out ------------------------------


def test_availability_offers_only_slots_whose_buffered_period_is_free(
    hall_and_rooms, customer
):
    hall, room, other = hall_and_rooms
    _raw_booking(other, customer, at(DAY, "12:00"), at(DAY, "13:00"))
    _raw_booking(room, customer, at(DAY, "15:00"), at(DAY, "16:00"))
    results = space_availability(
        spaces=[room, hall],
        start=at(DAY, "08:00"),
        end=at(DAY, "20:00"),
        duration_minutes=15,
    )
    slots = {
        result.space.name: [(s.start_time, s.end_time) for s in result.available_slots]
        for result in results
    }
    # Room (15 before, 30 after): the hall is free, other room's booking does
    # not matter; its own booking blocks 14:45-16:30 for itself, so a booking
    # must end by 14:15 (its clean-up to 14:45) and start from 16:45.
    assert slots["Room"] == [
        (at(DAY, "08:00"), at(DAY, "14:15")),
        (at(DAY, "16:45"), at(DAY, "20:00")),
    ]
    # The hall (no buffers) meets the other room's booking and the room's
    # buffered claim 14:45-16:30.
    assert slots["Hall"] == [
        (at(DAY, "08:00"), at(DAY, "12:00")),
        (at(DAY, "13:00"), at(DAY, "14:45")),
        (at(DAY, "16:30"), at(DAY, "20:00")),
    ]


def test_conflict_alternatives_leave_buffer_time_out(hall_and_rooms, customer):
    _, room, _ = hall_and_rooms
    _raw_booking(room, customer, at(DAY, "10:00"), at(DAY, "11:00"))
    suggestions = suggest_alternatives(
        space=room,
        start=at(DAY, "10:00"),
        end=at(DAY, "11:00"),
        attendee_count=1,
    )
    same_space = [s for s in suggestions if s["space_id"] == room.id]
    assert same_space
    for suggestion in same_space:
        start, end = suggestion["start_time"], suggestion["end_time"]
        assert end + timedelta(minutes=30) <= at(DAY, "09:45") or start - timedelta(
            minutes=15
        ) >= at(DAY, "11:30")
    starts = {s["start_time"] for s in same_space}
    assert at(DAY, "11:45") in starts  # the first start after the clean-up
    assert at(DAY, "08:15") in starts  # the last one that ends before it


# --- venueos check ---------------------------------------------------------------------


def test_check_reports_bookings_that_meet_only_through_their_buffers(
    hall_and_rooms, customer
):
    """With the triggers bypassed, a buffered collision is still found."""
    _, room, _ = hall_and_rooms
    first = _raw_booking(room, customer, at(DAY, "10:00"), at(DAY, "11:00"))
    second = _raw_booking(room, customer, at(DAY, "11:45"), at(DAY, "12:00"))
    assert overlapping_bookings() == []
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no triggers
        cursor.execute(
            "UPDATE bookings_booking SET buffer_after_minutes = 45 WHERE id = %s",
            [first.id],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    problems = overlapping_bookings()
    assert len(problems) == 1
    assert str(first.id) in problems[0] and str(second.id) in problems[0]
    assert integrity_problems() == problems
