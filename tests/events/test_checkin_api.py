"""Tickets with codes, gates and check-in over the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import client_for, make_user, make_venue
from tests.events.helpers import make_event
from venueos.audit.models import AuditEntry
from venueos.events import services
from venueos.events.models import CheckIn, EventStatus, Registration
from venueos.venues.models import Gate

pytestmark = pytest.mark.django_db

PROBLEM = "https://venueos.dev/problems/"


def _today(venue, **fields):
    """An event starting in 30 minutes: doors (120 min before) are open."""
    fields.setdefault("starts_in", timedelta(minutes=30))
    return make_event(venue, **fields)


def _ticket(event, quantity=1, attendee=None) -> Registration:
    return services.registration_create(
        event=event, actor=attendee or make_user(), quantity=quantity
    )


def _gate(client, venue, name):
    response = client.post(
        f"/api/v1/venues/{venue.id}/gates/", {"name": name}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _scan(client, event, code, gate_id=None):
    body = {"code": code} | ({"gate_id": gate_id} if gate_id else {})
    return client.post(f"/api/v1/events/{event.id}/check-ins/", body, format="json")


# --- ticket codes -----------------------------------------------------------


def test_every_registration_has_its_own_unguessable_code(venue, customer):
    event = make_event(venue, capacity=100)
    response = client_for(customer).post(
        f"/api/v1/events/{event.id}/registrations/", {"quantity": 2}, format="json"
    )
    code = response.json()["code"]
    assert len(code) >= 22  # 128 bits in URL-safe base64
    assert set(code) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    codes = {_ticket(event).code for _ in range(50)} | {code}
    assert len(codes) == 51
    mine = client_for(customer).get("/api/v1/me/registrations/").json()["results"]
    assert mine[0]["code"] == code


def test_managers_see_the_codes(venue, manager):
    event = make_event(venue)
    ticket = _ticket(event)
    listed = client_for(manager).get(f"/api/v1/events/{event.id}/registrations/")
    assert listed.json()["results"][0]["code"] == ticket.code


def test_the_database_refuses_a_duplicate_code(venue):
    event = make_event(venue)
    ticket = _ticket(event)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            event=event, attendee=make_user(), quantity=1, code=ticket.code
        )


def test_the_qr_code_is_an_svg_for_the_attendee_and_managers(venue, manager):
    event = make_event(venue)
    ticket = _ticket(event)
    url = f"/api/v1/registrations/{ticket.id}/qr.svg"
    for user in (ticket.attendee, manager):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        body = response.content.decode()
        assert body.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in body
        assert ticket.code in body  # in its <title>, for screen readers
    assert client_for(make_user()).get(url).status_code == 404


# --- gates ------------------------------------------------------------------


def test_managers_add_and_list_gates(venue, manager, customer):
    client = client_for(manager)
    north = _gate(client, venue, "North gate")
    assert north["venue_id"] == str(venue.id) and north["name"] == "North gate"
    _gate(client, venue, "East gate")
    listed = client.get(f"/api/v1/venues/{venue.id}/gates/").json()
    assert [gate["name"] for gate in listed["results"]] == ["East gate", "North gate"]
    assert AuditEntry.objects.filter(action="gate.created").count() == 2
    duplicate = client.post(
        f"/api/v1/venues/{venue.id}/gates/", {"name": "North gate"}, format="json"
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["type"] == PROBLEM + "gate-name-taken"
    blank = client.post(
        f"/api/v1/venues/{venue.id}/gates/", {"name": " "}, format="json"
    )
    assert blank.status_code == 400
    denied = client_for(customer).get(f"/api/v1/venues/{venue.id}/gates/")
    assert denied.status_code == 403


# --- check-in ---------------------------------------------------------------


def test_a_ticket_is_admitted_once_and_the_second_scan_says_where_and_when(
    venue, manager
):
    event = _today(venue)
    ticket = _ticket(event, quantity=2)
    client = client_for(manager)
    north = _gate(client, venue, "North gate")
    south = _gate(client, venue, "South gate")
    first = _scan(client, event, ticket.code, north["id"])
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["registration_id"] == str(ticket.id)
    assert (body["quantity"], body["gate_id"]) == (2, north["id"])
    assert body["checked_in_at"].endswith("Z")
    second = _scan(client, event, ticket.code, south["id"])
    assert second.status_code == 409
    problem = second.json()
    assert problem["type"] == PROBLEM + "already-checked-in"
    assert problem["checked_in_at"] == body["checked_in_at"]
    assert (problem["gate_id"], problem["gate_name"]) == (north["id"], "North gate")
    assert "North gate" in problem["detail"]
    assert CheckIn.objects.filter(registration=ticket).count() == 1
    audit = AuditEntry.objects.get(action="checkin.admitted")
    assert audit.entity_id == CheckIn.objects.get().id
    assert audit.new_values["registration_id"] == str(ticket.id)
    assert audit.new_values["gate_id"] == north["id"]


def test_scanning_without_a_gate_and_with_blanks_around_the_code(venue, manager):
    event = _today(venue)
    ticket = _ticket(event)
    response = _scan(client_for(manager), event, f"  {ticket.code}\n")
    assert response.status_code == 201
    assert response.json()["gate_id"] is None


def test_unknown_codes_and_codes_of_other_events_are_404(venue, manager):
    event = _today(venue)
    other = _today(venue)
    foreign = _ticket(other)
    client = client_for(manager)
    for code in ("no-such-code", foreign.code, "x" * 300):
        response = _scan(client, event, code)
        assert response.status_code in (404, 400), code
    assert _scan(client, event, foreign.code).json()["type"] == PROBLEM + "unknown-code"
    assert not CheckIn.objects.exists()


def test_a_cancelled_ticket_is_refused(venue, manager):
    event = _today(venue)
    ticket = _ticket(event)
    services.registration_cancel(registration=ticket, actor=ticket.attendee)
    response = _scan(client_for(manager), event, ticket.code)
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "registration-cancelled"


def test_a_used_ticket_cannot_be_cancelled(venue, manager):
    event = _today(venue)
    ticket = _ticket(event)
    assert _scan(client_for(manager), event, ticket.code).status_code == 201
    response = client_for(ticket.attendee).delete(f"/api/v1/registrations/{ticket.id}/")
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "checked-in"
    ticket.refresh_from_db()
    assert ticket.status == "active"


def test_a_gate_of_another_venue_is_refused(venue, manager, org):
    event = _today(venue)
    ticket = _ticket(event)
    elsewhere = Gate.objects.create(venue=make_venue(org), name="Elsewhere")
    response = _scan(client_for(manager), event, ticket.code, str(elsewhere.id))
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM + "invalid-gate"


@pytest.mark.parametrize(
    ("starts_in", "door_open_minutes", "open_"),
    [
        (timedelta(minutes=119), None, True),
        (timedelta(minutes=121), None, False),
        (timedelta(minutes=-30), None, True),  # running
        (timedelta(hours=-3), None, False),  # over (2 h long)
        (timedelta(minutes=50), 45, False),
        (timedelta(minutes=40), 45, True),
    ],
)
def test_check_in_is_open_from_the_doors_until_the_end(
    org, manager, starts_in, door_open_minutes, open_
):
    settings = (
        {} if door_open_minutes is None else {"door_open_minutes": door_open_minutes}
    )
    venue = make_venue(org, settings=settings)
    event = make_event(venue, starts_in=timedelta(days=1))
    ticket = _ticket(event)
    event.start_at = timezone.now() + starts_in
    event.end_at = event.start_at + timedelta(hours=2)
    event.save(update_fields=["start_at", "end_at"])
    response = _scan(client_for(manager), event, ticket.code)
    if open_:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == PROBLEM + "check-in-closed"
        assert {"opens_at", "closes_at"} <= set(problem)


@pytest.mark.parametrize(
    ("status", "open_"),
    [
        (EventStatus.PUBLISHED, True),
        (EventStatus.ON_SALE, True),
        (EventStatus.PAUSED, True),
        (EventStatus.DRAFT, False),
        (EventStatus.CLOSED, False),
    ],
)
def test_check_in_is_open_in_some_statuses_only(venue, manager, status, open_):
    event = _today(venue)
    ticket = _ticket(event)
    event.status = status
    event.save(update_fields=["status"])
    response = _scan(client_for(manager), event, ticket.code)
    assert response.status_code == (201 if open_ else 409)
    if not open_:
        assert response.json()["type"] == PROBLEM + "check-in-closed"


@pytest.mark.parametrize("value", [-1, 1441, "60", True, 2.5])
def test_door_open_minutes_must_be_whole_minutes_up_to_a_day(venue, manager, value):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/",
        {"settings": {"door_open_minutes": value}},
        format="json",
    )
    assert response.status_code == 400
    assert "settings.door_open_minutes" in response.json()["errors"]


def test_only_the_events_managers_check_in(venue, other_manager, customer):
    event = _today(venue)
    ticket = _ticket(event)
    for user, status in ((None, 401), (customer, 403), (other_manager, 403)):
        assert _scan(client_for(user), event, ticket.code).status_code == status
        counts = client_for(user).get(f"/api/v1/events/{event.id}/check-ins/")
        assert counts.status_code == status
    assert not CheckIn.objects.exists()


def test_counts_per_gate(venue, manager, django_assert_num_queries):
    event = _today(venue)
    client = client_for(manager)
    north = _gate(client, venue, "North gate")
    south = _gate(client, venue, "South gate")
    _gate(client, venue, "West gate")
    tickets = [_ticket(event, quantity) for quantity in (1, 2, 3, 1)]
    for ticket, gate in zip(
        tickets, [north["id"], north["id"], south["id"], None], strict=True
    ):
        assert _scan(client, event, ticket.code, gate).status_code == 201
    _scan(client, event, tickets[0].code, south["id"])  # a 409, not counted
    with django_assert_num_queries(3):  # the token, the event, the counts
        response = client.get(f"/api/v1/events/{event.id}/check-ins/")
    body = response.json()
    assert (body["total"], body["people"]) == (4, 7)
    assert body["by_gate"] == [
        {"gate_id": north["id"], "name": "North gate", "count": 2, "people": 3},
        {"gate_id": south["id"], "name": "South gate", "count": 1, "people": 3},
        {
            "gate_id": body["by_gate"][2]["gate_id"],
            "name": "West gate",
            "count": 0,
            "people": 0,
        },
        {"gate_id": None, "name": None, "count": 1, "people": 1},
    ]
