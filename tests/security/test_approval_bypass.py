"""Finding 3: a confirmed booking in a space that requires approval, changed by
its customer to another day, 8 hours and 300 people, stayed `confirmed`. A new
time, space or attendee count by anyone but the venue's managers now puts it
back to `pending` (audited, and the owner is told), through the API, the
service and the site's change form alike."""

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
from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.services import booking_create, booking_decide, booking_update
from venueos.notifications.notices import notice_for

pytestmark = pytest.mark.django_db

DAY = future_day(20)


@pytest.fixture
def setup():
    organization = make_organization()
    manager = make_user(Role.MANAGER, organization)
    venue = make_venue(organization)
    studio = make_space(venue, name="Studio", capacity=400, requires_approval=True)
    annex = make_space(venue, name="Annex", capacity=400, requires_approval=True)
    customer = make_user()
    booking = booking_create(
        actor=customer,
        space=studio,
        start_time=at(DAY, "10:00"),
        end_time=at(DAY, "11:00"),
        title="Small meeting",
        attendee_count=2,
    )
    booking = booking_decide(actor=manager, booking=booking, approve=True)
    assert booking.status == BookingStatus.CONFIRMED
    return {
        "organization": organization,
        "manager": manager,
        "studio": studio,
        "annex": annex,
        "customer": customer,
        "booking": booking,
    }


def _status(booking) -> str:
    return Booking.objects.get(pk=booking.pk).status


def test_the_reviewed_attack_over_the_api_goes_back_to_pending(setup):
    booking = setup["booking"]
    other_day = DAY + timedelta(days=3)

    response = client_for(setup["customer"]).patch(
        f"/api/v1/bookings/{booking.id}/",
        {
            "start_time": iso(at(other_day, "09:00")),
            "end_time": iso(at(other_day, "17:00")),
            "attendee_count": 300,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    assert _status(booking) == BookingStatus.PENDING
    entry = AuditEntry.objects.filter(entity_id=booking.id).latest("id")
    assert entry.action == "booking.updated"
    assert entry.old_values["status"] == "confirmed"
    assert entry.new_values["status"] == "pending"
    # The owner is told, as for a new pending booking.
    assert notice_for(entry.action, entry.new_values).template == "booking_pending"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: {"start_time": at(DAY, "09:00")}, id="start"),
        pytest.param(lambda s: {"end_time": at(DAY, "12:00")}, id="end"),
        pytest.param(lambda s: {"attendee_count": 3}, id="attendees"),
        pytest.param(lambda s: {"space": s["annex"]}, id="space"),
    ],
)
def test_a_customers_change_of_time_space_or_attendees_needs_approval_again(
    setup, change
):
    booking = setup["booking"]
    updated = booking_update(actor=setup["customer"], booking=booking, **change(setup))
    assert updated.status == BookingStatus.PENDING
    assert _status(booking) == BookingStatus.PENDING


def test_a_customers_new_title_or_same_values_keep_the_status(setup):
    booking = setup["booking"]
    booking_update(
        actor=setup["customer"],
        booking=booking,
        title="Renamed",
        description="More words",
        space=setup["studio"],
        start_time=booking.start_time,
        end_time=booking.end_time,
        attendee_count=booking.attendee_count,
    )
    assert _status(booking) == BookingStatus.CONFIRMED


@pytest.mark.parametrize("kind", ["manager", "admin"])
def test_the_venues_managers_changes_keep_the_status(setup, kind):
    actor = setup["manager"] if kind == "manager" else make_user(Role.ADMIN)
    booking = setup["booking"]
    updated = booking_update(
        actor=actor,
        booking=booking,
        start_time=at(DAY, "14:00"),
        end_time=at(DAY, "18:00"),
        attendee_count=300,
        space=setup["annex"],
    )
    assert updated.status == BookingStatus.CONFIRMED


def test_a_space_without_approval_keeps_the_status(setup):
    open_room = make_space(setup["studio"].venue, name="Open room", capacity=400)
    booking = booking_create(
        actor=setup["customer"],
        space=open_room,
        start_time=at(DAY, "10:00"),
        end_time=at(DAY, "11:00"),
        title="Walk-in",
    )
    updated = booking_update(
        actor=setup["customer"],
        booking=booking,
        start_time=at(DAY, "12:00"),
        end_time=at(DAY, "13:00"),
        attendee_count=40,
    )
    assert updated.status == BookingStatus.CONFIRMED


def test_the_sites_change_form_goes_through_the_same_rule(setup):
    booking = setup["booking"]
    client = Client()
    client.force_login(setup["customer"])
    response = client.post(
        f"/bookings/{booking.id}/change/",
        {
            "space": str(setup["studio"].id),
            "date": (DAY + timedelta(days=1)).isoformat(),
            "start": "09:00",
            "end": "17:00",
            "title": booking.title,
            "attendee_count": 300,
            "description": "",
        },
        follow=True,
    )
    assert response.status_code == 200, response.content
    assert _status(booking) == BookingStatus.PENDING
    assert "pending again" in response.content.decode()
