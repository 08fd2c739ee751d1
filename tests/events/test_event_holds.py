"""An event with a space occupies it in the booking calendar (through a hold
booking made by the booking engine, in the event service's transaction)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for, make_space
from tests.events.helpers import iso
from venueos.bookings.models import Booking, BookingStatus
from venueos.events.models import Event

pytestmark = pytest.mark.django_db

PROBLEM = "https://venueos.dev/problems/"


def _start():
    return (timezone.now() + timedelta(days=15)).replace(
        minute=0, second=0, microsecond=0
    )


def _create(client, venue, space, start, hours=3, **extra):
    return client.post(
        "/api/v1/events/",
        {
            "venue_id": str(venue.id),
            "space_id": str(space.id) if space else None,
            "name": extra.pop("name", "Concert"),
            "start_at": iso(start),
            "end_at": iso(start + timedelta(hours=hours)),
            "capacity": 40,
            **extra,
        },
        format="json",
    )


def test_an_event_in_a_space_holds_it_for_its_duration(manager, venue):
    space = make_space(venue, capacity=50)
    start = _start()
    response = _create(client_for(manager), venue, space, start)
    assert response.status_code == 201, response.json()
    hold = Booking.objects.get(pk=response.json()["hold_booking_id"])
    assert (hold.space_id, hold.status) == (space.id, BookingStatus.CONFIRMED)
    assert (hold.start_time, hold.end_time) == (start, start + timedelta(hours=3))
    assert Event.objects.get(pk=response.json()["id"]).hold_id == hold.id


def test_an_event_without_a_space_holds_nothing(manager, venue):
    response = _create(client_for(manager), venue, None, _start())
    assert response.status_code == 201
    assert response.json()["hold_booking_id"] is None
    assert not Booking.objects.exists()


def test_an_event_cannot_take_a_space_that_is_taken(manager, venue):
    hall = make_space(venue, capacity=200)
    room = make_space(venue, parent=hall, capacity=50)
    client = client_for(manager)
    start = _start()
    assert _create(client, venue, hall, start, name="Gala").status_code == 201
    # The room lies inside the hall: the hall's event blocks it.
    response = _create(client, venue, room, start + timedelta(hours=1), name="Talk")
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "booking-conflict"
    assert Event.objects.count() == 1
    assert Booking.objects.count() == 1


def test_moving_an_event_moves_its_hold(manager, venue):
    space = make_space(venue, capacity=50)
    client = client_for(manager)
    start = _start()
    event = _create(client, venue, space, start).json()
    later = start + timedelta(days=1)
    response = client.patch(
        f"/api/v1/events/{event['id']}/",
        {"start_at": iso(later), "end_at": iso(later + timedelta(hours=2))},
        format="json",
    )
    assert response.status_code == 200, response.json()
    hold = Booking.objects.get(pk=event["hold_booking_id"])
    assert (hold.start_time, hold.end_time) == (later, later + timedelta(hours=2))
    # The old time is free again.
    assert _create(client, venue, space, start, name="Other").status_code == 201


def test_moving_an_event_onto_a_taken_time_is_a_409_and_changes_nothing(manager, venue):
    space = make_space(venue, capacity=50)
    client = client_for(manager)
    start = _start()
    first = _create(client, venue, space, start, name="First").json()
    _create(client, venue, space, start + timedelta(days=1), name="Second")
    response = client.patch(
        f"/api/v1/events/{first['id']}/",
        {
            "start_at": iso(start + timedelta(days=1, hours=1)),
            "end_at": iso(start + timedelta(days=1, hours=2)),
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "booking-conflict"
    event = Event.objects.get(pk=first["id"])
    assert event.start_at == start
    hold = Booking.objects.get(pk=first["hold_booking_id"])
    assert hold.start_time == start


def test_changing_and_removing_the_space_follows_in_the_calendar(manager, venue):
    first_space = make_space(venue, capacity=50)
    second_space = make_space(venue, capacity=50)
    client = client_for(manager)
    event = _create(client, venue, first_space, _start()).json()
    moved = client.patch(
        f"/api/v1/events/{event['id']}/",
        {"space_id": str(second_space.id)},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert Booking.objects.get(pk=event["hold_booking_id"]).space_id == (
        second_space.id
    )
    removed = client.patch(
        f"/api/v1/events/{event['id']}/", {"space_id": None}, format="json"
    )
    assert removed.status_code == 200, removed.json()
    assert removed.json()["hold_booking_id"] is None
    released = Booking.objects.get(pk=event["hold_booking_id"])
    assert released.status == BookingStatus.CANCELLED
    added = client.patch(
        f"/api/v1/events/{event['id']}/",
        {"space_id": str(first_space.id)},
        format="json",
    )
    assert added.status_code == 200
    assert Booking.objects.get(pk=added.json()["hold_booking_id"]).is_active


def test_closing_an_event_frees_its_space(manager, venue):
    space = make_space(venue, capacity=50)
    client = client_for(manager)
    start = _start()
    event = _create(client, venue, space, start).json()
    response = client.post(
        f"/api/v1/events/{event['id']}/transition/", {"status": "closed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["hold_booking_id"] is None
    hold = Booking.objects.get(pk=event["hold_booking_id"])
    assert hold.status == BookingStatus.CANCELLED
    assert _create(client, venue, space, start, name="Next").status_code == 201


def test_an_events_hold_cannot_be_moved_or_cancelled_through_the_bookings_api(
    manager, venue
):
    space = make_space(venue, capacity=50)
    start = _start()
    event = _create(client_for(manager), venue, space, start).json()
    hold = Event.objects.get(pk=event["id"]).hold
    client = client_for(manager)
    moved = client.patch(
        f"/api/v1/bookings/{hold.id}/",
        {
            "start_time": iso(start + timedelta(days=1)),
            "end_time": iso(start + timedelta(days=1, hours=3)),
        },
        format="json",
    )
    assert moved.status_code == 409 and moved.json()["type"] == PROBLEM + "event-hold"
    cancelled = client.delete(f"/api/v1/bookings/{hold.id}/")
    assert (
        cancelled.status_code == 409
        and cancelled.json()["type"] == PROBLEM + "event-hold"
    )
    hold.refresh_from_db()
    assert hold.status == BookingStatus.CONFIRMED and hold.start_time == start


def test_an_event_that_occupies_a_space_lasts_at_most_a_day(manager, venue):
    space = make_space(venue, capacity=50)
    response = _create(client_for(manager), venue, space, _start(), hours=30)
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM + "event-too-long-for-space"
    assert not Booking.objects.exists()
    assert (
        _create(client_for(manager), venue, None, _start(), hours=30).status_code == 201
    )


def test_venue_capacity_cannot_drop_below_an_open_event(manager, venue):
    _create(client_for(manager), venue, None, _start())  # 40 places
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/", {"max_capacity": 39}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "capacity-below-events"
    assert (
        client_for(manager)
        .patch(f"/api/v1/venues/{venue.id}/", {"max_capacity": 40}, format="json")
        .status_code
        == 200
    )
