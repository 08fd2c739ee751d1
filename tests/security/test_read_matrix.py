"""The read side of the permission matrix: every GET of bookings, their
history, registrations, waiting lists and reports, by every kind of caller.
Allowed callers get 200 and see exactly their objects; everyone else gets a
problem (401 signed out, 403/404 otherwise) and never a row that is not theirs.

(The live stream is served by the ASGI app before Django and has its own
tests in tests/realtime/.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import (
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
    set_opening_hours,
)
from tests.events.helpers import make_event
from venueos.accounts.models import Role
from venueos.bookings.services import booking_create
from venueos.events.services import registration_create

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "owner", "other_customer", "manager", "other_manager", "admin"]
ALLOWED_TO_SEE_ONE_BOOKING = {"owner", "manager", "admin"}
ALLOWED_TO_SEE_EVENT_INTERNALS = {"manager", "admin"}


@pytest.fixture
def world():
    organization = make_organization()
    venue = make_venue(organization)
    set_opening_hours(venue, 0, 24 * 60)
    room = make_space(venue)
    owner = make_user(Role.CUSTOMER)
    users = {
        "anonymous": None,
        "owner": owner,
        "other_customer": make_user(Role.CUSTOMER),
        "manager": make_user(Role.MANAGER, organization=organization),
        "other_manager": make_user(Role.MANAGER, organization=make_organization()),
        "admin": make_user(Role.ADMIN),
    }
    start = (timezone.now() + timedelta(days=20)).replace(
        minute=0, second=0, microsecond=0
    )
    booking = booking_create(
        actor=owner,
        space=room,
        start_time=start,
        end_time=start + timedelta(hours=1),
        title="Private matter",
    )
    event = make_event(venue, capacity=5)
    registration = registration_create(event=event, actor=owner)
    return {
        "users": users,
        "venue": venue,
        "booking": booking,
        "event": event,
        "registration": registration,
    }


def _get(world, caller, path):
    return client_for(world["users"][caller]).get(path)


def _refused(response, caller):
    expected = {401} if caller == "anonymous" else {403, 404}
    assert response.status_code in expected, (caller, response.status_code)
    assert response["Content-Type"] == "application/problem+json"
    assert b"Private matter" not in response.content


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("suffix", ["", "history/"])
def test_one_booking_and_its_history(world, caller, suffix):
    response = _get(world, caller, f"/api/v1/bookings/{world['booking'].id}/{suffix}")
    if caller in ALLOWED_TO_SEE_ONE_BOOKING:
        assert response.status_code == 200, response.content
    else:
        _refused(response, caller)
        if caller != "anonymous":
            # Not an existence oracle: the same answer as for no such booking.
            assert response.status_code == 404


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", ["/api/v1/bookings/", "/api/v1/me/bookings/"])
def test_booking_lists_show_only_what_the_caller_may_see(world, caller, path):
    response = _get(world, caller, path)
    if caller == "anonymous":
        _refused(response, caller)
        return
    assert response.status_code == 200, response.content
    ids = {item["id"] for item in response.json()["results"]}
    visible = caller in (
        {"owner"} if path.startswith("/api/v1/me/") else ALLOWED_TO_SEE_ONE_BOOKING
    )
    assert (str(world["booking"].id) in ids) == visible, (caller, path)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("list_name", ["registrations", "waitlist"])
def test_an_events_registrations_and_waiting_list(world, caller, list_name):
    response = _get(world, caller, f"/api/v1/events/{world['event'].id}/{list_name}/")
    if caller in ALLOWED_TO_SEE_EVENT_INTERNALS:
        assert response.status_code == 200, response.content
    else:
        _refused(response, caller)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", ["/api/v1/me/registrations/", "/api/v1/me/waitlist/"])
def test_my_registrations_are_mine(world, caller, path):
    response = _get(world, caller, path)
    if caller == "anonymous":
        _refused(response, caller)
        return
    assert response.status_code == 200, response.content
    ids = {item["id"] for item in response.json()["results"]}
    if path.endswith("registrations/"):
        assert (str(world["registration"].id) in ids) == (caller == "owner")
    else:
        assert ids == set()


@pytest.mark.parametrize("caller", CALLERS)
def test_a_tickets_code(world, caller):
    response = _get(
        world, caller, f"/api/v1/registrations/{world['registration'].id}/qr.svg"
    )
    if caller in {"owner", "manager", "admin"}:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code in ({401} if caller == "anonymous" else {403, 404})


@pytest.mark.parametrize("caller", CALLERS)
def test_the_utilization_report(world, caller):
    day = (timezone.now() + timedelta(days=20)).date()
    response = _get(
        world,
        caller,
        f"/api/v1/reports/utilization/?venue_id={world['venue'].id}"
        f"&start_date={day}&end_date={day}",
    )
    if caller in ALLOWED_TO_SEE_EVENT_INTERNALS:
        assert response.status_code == 200, response.content
    else:
        _refused(response, caller)
