"""Event-day pages over plain HTTP: the forms work without JavaScript, htmx
gets only the result, and the pages check who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.conftest import make_user
from tests.events.helpers import make_event
from venueos.events import services
from venueos.events.models import CheckIn, WaitlistEntry
from venueos.venues.models import Gate

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tonight(venue):
    return make_event(venue, name="Tonight", starts_in=timedelta(minutes=30))


def test_a_plain_form_scan_admits_and_shows_the_result(venue, manager):
    event = _tonight(venue)
    gate = Gate.objects.create(venue=venue, name="North gate")
    ticket = services.registration_create(event=event, actor=make_user(), quantity=2)
    url = f"/manage/events/{event.id}/check-in/"
    client = _client(manager)
    assert "Ready to scan" in client.get(url).content.decode()
    response = client.post(url, {"code": ticket.code, "gate": str(gate.id)})
    assert response.status_code == 201
    html = response.content.decode()
    assert "Admitted — 2 people" in html and "scan-admitted" in html
    assert f'value="{gate.id}" selected' in html  # the next scan, same gate
    again = client.post(url, {"code": ticket.code})
    assert again.status_code == 409
    assert "Already checked in at North gate" in again.content.decode()
    assert CheckIn.objects.count() == 1


def test_htmx_gets_the_result_only(venue, manager):
    event = _tonight(venue)
    client = _client(manager)
    response = client.post(
        f"/manage/events/{event.id}/check-in/",
        {"code": "nope"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not valid" in html and "<html" not in html


def test_customers_cannot_open_the_check_in_screen(venue, customer):
    event = _tonight(venue)
    response = _client(customer).get(f"/manage/events/{event.id}/check-in/")
    assert response.status_code == 403
    response = _client(customer).get(f"/manage/events/{event.id}/")
    assert response.status_code == 403


def test_joining_the_waiting_list_from_the_event_page(venue, customer):
    event = make_event(venue, capacity=1)
    services.registration_create(event=event, actor=make_user())
    client = _client(customer)
    page = client.get(f"/events/{event.id}/").content.decode()
    assert "Join the waiting list" in page
    response = client.post(f"/events/{event.id}/waitlist/", {"waitlist-quantity": "1"})
    assert response.status_code == 302 and response["Location"] == "/my/tickets/"
    entry = WaitlistEntry.objects.get(attendee=customer)
    tickets = client.get("/my/tickets/").content.decode()
    assert "number 1" in tickets.lower() or "#1" in tickets
    assert f"/waitlist/{entry.id}/leave/" in tickets


def test_joining_while_places_are_left_explains_why_not(venue, customer):
    event = make_event(venue, capacity=5)
    client = _client(customer)
    response = client.post(
        f"/events/{event.id}/waitlist/", {"waitlist-quantity": "1"}, follow=True
    )
    assert "register instead" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_my_tickets_show_the_code_and_its_qr(venue, customer):
    event = make_event(venue)
    ticket = services.registration_create(event=event, actor=customer)
    html = _client(customer).get("/my/tickets/").content.decode()
    assert ticket.code in html
    assert f'<svg role="img" aria-label="Ticket code {ticket.code}"' in html
