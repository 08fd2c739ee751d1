"""Finding 6: a customer's 400 said "in a closure: CONFIDENTIAL …", the reason
the venue's managers wrote for themselves. Customers and anonymous callers are
told that the time is closed, not why, unless the closure's reason is marked
public; the venue's managers still see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from venueos.accounts.models import Role
from venueos.bookings.services import booking_create
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db

DAY = future_day(25)
SECRET = "CONFIDENTIAL tax audit of the tenant"


@pytest.fixture
def setup():
    organization = make_organization()
    venue = make_venue(organization)
    room = make_space(venue, name="Room")
    closure = Closure.objects.create(
        venue=venue,
        start_time=at(DAY, "12:00"),
        end_time=at(DAY, "14:00"),
        reason=SECRET,
    )
    return {
        "venue": venue,
        "room": room,
        "closure": closure,
        "manager": make_user(Role.MANAGER, organization),
        "customer": make_user(),
    }


def _book(client, room, hhmm="12:00", day=DAY):
    start = at(day, hhmm)
    return client.post(
        "/api/v1/bookings/",
        {
            "space_id": str(room.id),
            "start_time": iso(start),
            "end_time": iso(start + timedelta(hours=1)),
            "title": "Meeting",
        },
        format="json",
    )


def _refusal(response) -> str:
    assert response.status_code == 400, response.content
    assert response.json()["type"].endswith("/in-closure")
    return response.content.decode()


@pytest.mark.parametrize("kind", ["customer", "other_manager"])
def test_a_create_in_a_closure_does_not_tell_outsiders_why(setup, kind):
    actor = setup["customer"]
    if kind == "other_manager":
        actor = make_user(Role.MANAGER, make_organization())
    body = _refusal(_book(client_for(actor), setup["room"]))
    assert "CONFIDENTIAL" not in body
    assert "closed" in body


def test_the_venues_managers_see_the_reason(setup):
    body = _refusal(_book(client_for(setup["manager"]), setup["room"]))
    assert SECRET in body
    admin_body = _refusal(_book(client_for(make_user(Role.ADMIN)), setup["room"]))
    assert SECRET in admin_body


def test_a_public_reason_is_told_to_everyone(setup):
    Closure.objects.filter(pk=setup["closure"].pk).update(reason_public=True)
    body = _refusal(_book(client_for(setup["customer"]), setup["room"]))
    assert SECRET in body


def test_a_move_into_a_closure_does_not_tell_the_customer_why(setup):
    booking = booking_create(
        actor=setup["customer"],
        space=setup["room"],
        start_time=at(DAY, "09:00"),
        end_time=at(DAY, "10:00"),
        title="Early",
    )
    response = client_for(setup["customer"]).patch(
        f"/api/v1/bookings/{booking.id}/",
        {"start_time": iso(at(DAY, "12:00")), "end_time": iso(at(DAY, "13:00"))},
        format="json",
    )
    assert "CONFIDENTIAL" not in _refusal(response)


def test_a_series_through_a_closure_does_not_tell_the_customer_why(setup):
    start = at(DAY - timedelta(days=1), "12:00")
    response = client_for(setup["customer"]).post(
        "/api/v1/bookings/series/",
        {
            "space_id": str(setup["room"].id),
            "start_time": iso(start),
            "end_time": iso(start + timedelta(hours=1)),
            "title": "Daily",
            "recurrence": {"freq": "daily", "count": 3},
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "CONFIDENTIAL" not in response.content.decode()


def test_the_sites_booking_form_does_not_tell_the_customer_why(setup):
    client = Client()
    client.force_login(setup["customer"])
    response = client.post(
        "/bookings/new/",
        {
            "space": str(setup["room"].id),
            "date": DAY.isoformat(),
            "start": "12:00",
            "end": "13:00",
            "title": "Meeting",
            "attendee_count": 1,
            "description": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "closed" in page and "CONFIDENTIAL" not in page


def test_public_pages_and_availability_never_carry_a_private_reason(setup):
    venue, anonymous = setup["venue"], Client()
    pages = [
        anonymous.get(f"/venues/{venue.id}/?date={DAY.isoformat()}"),
        anonymous.get(f"/venues/{venue.id}/grid/?date={DAY.isoformat()}"),
        client_for(None).get(
            "/api/v1/availability/search/",
            {
                "venue_id": str(venue.id),
                "start_time": iso(at(DAY, "00:00")),
                "end_time": iso(at(DAY + timedelta(days=1), "00:00")),
            },
        ),
    ]
    for page in pages:
        assert page.status_code == 200, page.content
        assert "CONFIDENTIAL" not in page.content.decode()


def test_reason_public_is_set_and_shown_through_the_api(setup):
    client = client_for(setup["manager"])
    created = client.post(
        f"/api/v1/venues/{setup['venue'].id}/closures/",
        {
            "start_time": iso(at(DAY + timedelta(days=1), "00:00")),
            "end_time": iso(at(DAY + timedelta(days=2), "00:00")),
            "reason": "Public holiday",
            "reason_public": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["reason_public"] is True
    listed = client.get(f"/api/v1/venues/{setup['venue'].id}/closures/").json()
    by_reason = {item["reason"]: item["reason_public"] for item in listed["results"]}
    assert by_reason == {SECRET: False, "Public holiday": True}
    refusal = _refusal(
        _book(client_for(setup["customer"]), setup["room"], day=DAY + timedelta(1))
    )
    assert "Public holiday" in refusal


def test_reason_public_is_set_in_the_sites_closure_form(setup):
    client = Client()
    client.force_login(setup["manager"])
    venue = setup["venue"]
    response = client.post(
        f"/manage/venues/{venue.id}/closures/",
        {
            "space": "",
            "start_date": (DAY + timedelta(days=3)).isoformat(),
            "start_time": "00:00",
            "end_date": (DAY + timedelta(days=3)).isoformat(),
            "end_time": "23:59",
            "reason": "Public holiday",
            "reason_public": "on",
        },
    )
    assert response.status_code == 302, response.content
    assert Closure.objects.get(reason="Public holiday").reason_public is True
    page = client.get(f"/manage/venues/{venue.id}/closures/").content.decode()
    assert "shown to customers" in page and "managers only" in page
