"""The event-day demo: an event with doors open and tickets to scan, gates,
and a sold-out event with a waiting list."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.conftest import PASSWORD, client_for
from venueos.accounts.models import User
from venueos.demo import CUSTOMER_EMAIL, GALA_SLUG, MANAGER_EMAIL, load_demo
from venueos.events.models import CheckIn, Event, Registration, WaitlistEntry
from venueos.venues.models import Gate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


def test_the_demo_has_an_event_with_doors_open_and_tickets_to_scan():
    load_demo()
    event = Event.objects.get(slug__startswith="opening-night-")
    assert event.is_full
    assert [gate.name for gate in Gate.objects.filter(venue=event.venue)] == [
        "North gate",
        "South gate",
    ]
    assert CheckIn.objects.filter(event=event).count() == 1
    customer_ticket = Registration.objects.get(
        event=event, attendee__email=CUSTOMER_EMAIL
    )
    manager = User.objects.get(email=MANAGER_EMAIL)
    manager.set_password(PASSWORD)  # client_for signs in with it
    manager.save()
    response = client_for(manager).post(
        f"/api/v1/events/{event.id}/check-ins/",
        {"code": customer_ticket.code},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_the_demo_gala_is_sold_out_with_someone_waiting():
    load_demo()
    gala = Event.objects.get(slug=GALA_SLUG)
    assert gala.is_full
    assert WaitlistEntry.objects.filter(event=gala, status="waiting").count() == 1


def test_loading_again_adds_no_second_event_day():
    load_demo()
    counts = (Event.objects.count(), Registration.objects.count(), Gate.objects.count())
    assert load_demo() is False
    assert (
        Event.objects.count(),
        Registration.objects.count(),
        Gate.objects.count(),
    ) == counts
