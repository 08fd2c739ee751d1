"""Recurring bookings, the calendar feed, buffers and the utilization report
in the web UI, through Django's test client."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from tests.conftest import make_user
from tests.web.conftest import BERLIN
from venueos.bookings.models import Booking, BookingSeries, BookingStatus
from venueos.calendars.models import CalendarFeed

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.force_login(user)
    return client


def _repeat_post(space, day, **fields):
    return {
        "space": str(space.id),
        "date": day.isoformat(),
        "start": "09:00",
        "end": "10:00",
        "title": "Weekly sync",
        "attendee_count": 1,
        "description": "",
        "repeat": "weekly",
        "repeat_count": 3,
        **fields,
    }


def test_repeat_on_the_booking_form_makes_a_series(client, berlin_db, day):
    room = berlin_db["rooms"]["Room 101"]
    customer = make_user()
    _signed_in(client, customer)
    form = client.get(f"/bookings/new/?space={room.id}")
    assert b'name="repeat"' in form.content and b"Every week" in form.content
    response = client.post("/bookings/new/", _repeat_post(room, day))
    series = BookingSeries.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/my/series/{series.id}/"
    starts = sorted(b.start_time.astimezone(BERLIN) for b in series.bookings.all())
    assert [s.date() for s in starts] == [day + timedelta(weeks=n) for n in range(3)]
    assert {(s.hour, s.minute) for s in starts} == {(9, 0)}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Cancel the series" in page.content
    listed = client.get("/my/bookings/")
    assert listed.content.count(b">Repeats</a>") == 3


def test_a_refused_series_books_nothing_and_says_which_days(client, berlin_db, day):
    room = berlin_db["rooms"]["Room 101"]
    other = make_user()
    Booking.objects.create(
        venue=room.venue,
        space=room,
        user=other,
        created_by=other,
        start_time=datetime.combine(day + timedelta(weeks=1), time(9, 30), BERLIN),
        end_time=datetime.combine(day + timedelta(weeks=1), time(10, 30), BERLIN),
        title="In the way",
    )
    _signed_in(client, make_user())
    response = client.post("/bookings/new/", _repeat_post(room, day))
    assert response.status_code == 409
    text = response.content.decode()
    assert "Nothing was booked" in text
    assert re.search(r"already booked", text)
    assert not BookingSeries.objects.exists()


def test_cancelling_a_series_from_a_day_on(client, berlin_db, day):
    room = berlin_db["rooms"]["Room 101"]
    _signed_in(client, make_user())
    client.post("/bookings/new/", _repeat_post(room, day))
    series = BookingSeries.objects.get()
    response = client.post(
        f"/my/series/{series.id}/",
        {"from_day": (day + timedelta(weeks=1)).isoformat(), "reason": ""},
    )
    assert response.status_code == 302
    statuses = list(
        series.bookings.order_by("start_time").values_list("status", flat=True)
    )
    assert statuses == ["confirmed", "cancelled", "cancelled"]
    _signed_in(client, make_user())
    assert client.get(f"/my/series/{series.id}/").status_code == 404


def test_my_bookings_shows_the_feed_link_and_rotates_it(client):
    customer = make_user()
    _signed_in(client, customer)
    page = client.get("/my/bookings/").content.decode()
    link = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)[1]
    assert link.startswith("http://testserver/api/v1/calendar/")
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    response = client.post("/my/calendar/rotate/")
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.get(user=customer).generation == 2
    new_page = client.get("/my/bookings/").content.decode()
    assert link not in new_page


def test_the_space_editor_sets_buffers(client, berlin_db):
    venue, manager = berlin_db["venue"], berlin_db["manager"]
    room = berlin_db["rooms"]["Room 101"]
    _signed_in(client, manager)
    url = f"/manage/venues/{venue.id}/spaces/{room.id}/"
    page = client.get(url)
    assert b"Set-up time before each booking" in page.content
    fields = {
        "name": room.name,
        "parent": str(room.parent_id),
        "capacity": room.capacity,
        "features": "projector",
        "is_bookable": "on",
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 30,
    }
    assert client.post(url, fields).status_code == 302
    room.refresh_from_db()
    assert (room.buffer_before_minutes, room.buffer_after_minutes) == (15, 30)
    response = client.post(url, fields | {"buffer_after_minutes": 300})
    assert response.status_code == 400
    assert b"Between 0 and 240 minutes" in response.content


def test_the_reports_page_has_a_table_a_chart_per_space_and_a_csv(
    client, berlin_db, day
):
    venue, manager = berlin_db["venue"], berlin_db["manager"]
    room = berlin_db["rooms"]["Room 101"]
    Booking.objects.create(
        venue=venue,
        space=room,
        user=manager,
        created_by=manager,
        start_time=datetime.combine(day, time(8), BERLIN),
        end_time=datetime.combine(day, time(14), BERLIN),
        title="Half day",
        status=BookingStatus.CONFIRMED,
    )
    _signed_in(client, manager)
    page = client.get(
        "/manage/reports/",
        {"venue": str(venue.id), "start": day.isoformat(), "end": day.isoformat()},
    )
    assert page.status_code == 200
    text = page.content.decode()
    row = re.search(r'<th scope="row">Room 101</th>(.*?)</tr>', text, re.S)[1]
    assert "<td>12.0</td><td>6.0</td><td>50.0%</td>" in row
    assert text.count('<svg class="chart"') == 4  # every space of the venue
    csv_link = re.search(r'href="(/api/v1/reports/utilization/[^"]+)"', text)[1]
    csv = client.get(csv_link.replace("&amp;", "&"))
    assert csv.status_code == 200
    assert csv.content.startswith(b"space_id,space_name,date,")
    _signed_in(client, make_user())
    assert client.get("/manage/reports/").status_code == 403
