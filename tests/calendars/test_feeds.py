"""Calendar feeds, parsed back with the icalendar library: UIDs, UTC times
across DST, pending, cancelled and moved bookings, SEQUENCE, rotation, and the
public busy feed that names nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from tests.bookings.helpers import at, future_day, iso, next_dst_change
from tests.conftest import client_for, make_space, make_user, make_venue
from tests.events.helpers import make_event
from venueos.bookings.models import Booking
from venueos.events.models import Registration, RegistrationStatus

pytestmark = pytest.mark.django_db

ZONE = "Europe/London"


def feed_path(client) -> str:
    response = client.get("/api/v1/me/calendar/")
    assert response.status_code == 200
    return urlparse(response.json()["url"]).path


def events_of(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def book(client, space, start, end, title="Team sync"):
    response = client.post(
        "/api/v1/bookings/",
        {
            "space_id": str(space.id),
            "start_time": iso(start),
            "end_time": iso(end),
            "title": title,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def london(org):
    venue = make_venue(
        org,
        name="Thames House",
        timezone=ZONE,
        address={"street": "1 Quay", "city": "London", "country": "GB"},
    )
    hall = make_space(venue, name="Hall")
    room = make_space(venue, hall, name="River Room", buffer_after_minutes=30)
    side = make_space(venue, hall, name="Side Room")
    approval = make_space(venue, name="Board Room", requires_approval=True)
    return venue, hall, room, side, approval


def test_the_feed_url_is_stable_secret_and_rotates(customer):
    client = client_for(customer)
    path = feed_path(client)
    assert path == feed_path(client)
    assert path.startswith("/api/v1/calendar/") and path.endswith(".ics")
    assert len(path.rsplit("/", 1)[1]) == 64 + 4
    assert client_for(None).get(path).status_code == 200
    response = client.post("/api/v1/me/calendar/rotate/")
    assert response.status_code == 200
    new_path = urlparse(response.json()["url"]).path
    assert new_path != path
    old = client_for(None).get(path)
    assert old.status_code == 404
    assert old["Content-Type"] == "application/problem+json"
    assert client_for(None).get(new_path).status_code == 200
    assert feed_path(client) == new_path
    # Only a hash of the secret is stored.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_hash FROM calendars_calendarfeed")
        stored = [row[0] for row in cursor.fetchall()]
    assert new_path.rsplit("/", 1)[1][:-4] not in stored
    assert client_for(None).get("/api/v1/me/calendar/").status_code == 401
    assert (
        client_for(None).get("/api/v1/calendar/" + "0" * 64 + ".ics").status_code == 404
    )


def test_bookings_come_back_in_utc_across_dst_with_status_and_location(
    london, customer
):
    venue, hall, room, side, approval = london
    client = client_for(customer)
    spring = next_dst_change(ZONE, spring=True)
    autumn = next_dst_change(ZONE, spring=False)
    before = book(
        client,
        room,
        at(spring - timedelta(days=1), "09:00", ZONE),
        at(spring - timedelta(days=1), "10:00", ZONE),
    )
    after = book(
        client,
        room,
        at(spring + timedelta(days=1), "09:00", ZONE),
        at(spring + timedelta(days=1), "10:00", ZONE),
    )
    winter = book(
        client,
        side,
        at(autumn + timedelta(days=1), "09:00", ZONE),
        at(autumn + timedelta(days=1), "10:00", ZONE),
    )
    pending = book(
        client,
        approval,
        at(spring + timedelta(days=2), "09:00", ZONE),
        at(spring + timedelta(days=2), "10:00", ZONE),
        title="Board",
    )
    events = events_of(client_for(None).get(feed_path(client)))
    assert set(events) == {
        f"{b['id']}@venueos" for b in (before, after, winter, pending)
    }
    first, second = events[f"{before['id']}@venueos"], events[f"{after['id']}@venueos"]
    # 09:00 GMT is 09:00Z; 09:00 BST is 08:00Z.
    assert first["DTSTART"].dt == datetime.combine(
        spring - timedelta(days=1), datetime.min.time().replace(hour=9), UTC
    )
    assert second["DTSTART"].dt == datetime.combine(
        spring + timedelta(days=1), datetime.min.time().replace(hour=8), UTC
    )
    assert second["DTEND"].dt - second["DTSTART"].dt == timedelta(hours=1)
    assert events[f"{winter['id']}@venueos"]["DTSTART"].dt.hour == 9
    assert first["DTSTART"].to_ical().endswith(b"Z")
    assert str(first["SUMMARY"]) == "Team sync"
    assert str(first["LOCATION"]) == "Thames House — River Room, 1 Quay, London, GB"
    assert str(first["STATUS"]) == "CONFIRMED"
    assert int(first["SEQUENCE"]) == 0
    assert str(events[f"{pending['id']}@venueos"]["STATUS"]) == "TENTATIVE"


def test_moves_and_cancellations_grow_the_sequence_and_stay_as_cancelled(
    london, customer
):
    venue, hall, room, side, approval = london
    client = client_for(customer)
    day = future_day(20)
    booking = book(client, room, at(day, "09:00", ZONE), at(day, "10:00", ZONE))
    other = book(client, side, at(day, "11:00", ZONE), at(day, "12:00", ZONE))
    url = f"/api/v1/bookings/{booking['id']}/"
    client.patch(url, {"attendee_count": 2}, format="json")  # not shown: no change
    client.patch(
        url,
        {
            "start_time": iso(at(day, "13:00", ZONE)),
            "end_time": iso(at(day, "14:00", ZONE)),
        },
        format="json",
    )
    client.patch(url, {"title": "Moved sync"}, format="json")
    assert client.delete(f"/api/v1/bookings/{other['id']}/").status_code == 204
    events = events_of(client_for(None).get(feed_path(client)))
    moved = events[f"{booking['id']}@venueos"]
    assert int(moved["SEQUENCE"]) == 2
    assert moved["DTSTART"].dt == at(day, "13:00", ZONE).astimezone(UTC)
    assert str(moved["SUMMARY"]) == "Moved sync"
    cancelled = events[f"{other['id']}@venueos"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    # Cancelled long ago: gone from the feed.
    Booking.objects.filter(pk=other["id"]).update(
        cancelled_at=timezone.now() - timedelta(days=31)
    )
    assert f"{other['id']}@venueos" not in events_of(
        client_for(None).get(feed_path(client))
    )


def test_the_sequence_is_kept_by_the_database(london, customer):
    _, _, room, _, _ = london
    day = future_day(22)
    booking = Booking.objects.create(
        venue=room.venue,
        space=room,
        user=customer,
        created_by=customer,
        start_time=at(day, "09:00", ZONE),
        end_time=at(day, "10:00", ZONE),
        title="t",
    )
    Booking.objects.filter(pk=booking.pk).update(title="u")
    Booking.objects.filter(pk=booking.pk).update(sequence=0, attendee_count=3)
    booking.refresh_from_db()
    assert booking.sequence == 1


def test_the_feed_shows_only_its_owners_bookings_and_their_events(london, customer):
    venue, hall, room, side, _ = london
    stranger = make_user()
    day = future_day(25)
    book(client_for(stranger), room, at(day, "09:00", ZONE), at(day, "10:00", ZONE))
    concert = make_event(venue, name="Concert", space=hall)
    kept = Registration.objects.create(event=concert, attendee=customer)
    dropped = Registration.objects.create(
        event=make_event(venue, name="Talk"),
        attendee=customer,
        status=RegistrationStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )
    events = events_of(client_for(None).get(feed_path(client_for(customer))))
    assert set(events) == {f"{kept.id}@venueos", f"{dropped.id}@venueos"}
    assert str(events[f"{kept.id}@venueos"]["SUMMARY"]) == "Concert"
    assert str(events[f"{kept.id}@venueos"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"{kept.id}@venueos"]["LOCATION"]).startswith(
        "Thames House — Hall"
    )
    assert str(events[f"{dropped.id}@venueos"]["STATUS"]) == "CANCELLED"


def test_the_busy_feed_shows_related_spaces_and_buffers_but_no_names(london):
    venue, hall, room, side, _ = london
    owner = make_user(full_name="Secret Person")
    client = client_for(owner)
    day = future_day(30)
    book(
        client,
        room,
        at(day, "09:00", ZONE),
        at(day, "10:00", ZONE),
        title="Secret plan",
    )
    book(
        client, side, at(day, "12:00", ZONE), at(day, "13:00", ZONE), title="Secret too"
    )
    gone = book(client, side, at(day, "15:00", ZONE), at(day, "16:00", ZONE))
    client.delete(f"/api/v1/bookings/{gone['id']}/")
    anonymous = client_for(None)
    response = anonymous.get(
        f"/api/v1/spaces/{hall.id}/busy.ics", HTTP_ACCEPT="text/calendar"
    )
    events = events_of(response)
    assert b"Secret" not in response.content
    assert {str(e["SUMMARY"]) for e in events.values()} == {"Busy"}
    spans = sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in events.values())
    assert spans == [
        (
            at(day, "09:00", ZONE).astimezone(UTC),
            at(day, "10:30", ZONE).astimezone(UTC),
        ),
        (
            at(day, "12:00", ZONE).astimezone(UTC),
            at(day, "13:00", ZONE).astimezone(UTC),
        ),
    ]
    room_events = events_of(anonymous.get(f"/api/v1/spaces/{room.id}/busy.ics"))
    assert len(room_events) == 1  # the side room's booking does not block it
    assert anonymous.get(f"/api/v1/spaces/{venue.id}/busy.ics").status_code == 404
