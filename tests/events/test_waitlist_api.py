"""Waiting lists over the API: joining only when sold out, leaving, the queue,
and promotion in the transaction that frees places."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import client_for, make_user
from tests.events.helpers import make_event
from venueos.accounts.models import Role
from venueos.audit.models import AuditEntry
from venueos.events import services
from venueos.events.models import (
    Event,
    EventStatus,
    Registration,
    WaitlistEntry,
)
from venueos.events.selectors import oversold_events

pytestmark = pytest.mark.django_db

PROBLEM = "https://venueos.dev/problems/"


def _join(user, event, quantity=None):
    body = {} if quantity is None else {"quantity": quantity}
    return client_for(user).post(
        f"/api/v1/events/{event.id}/waitlist/", body, format="json"
    )


def _sell(event, quantity: int):
    """A registration of `quantity` places by a new customer."""
    return services.registration_create(
        event=event, actor=make_user(), quantity=quantity
    )


def _sold_out(venue, capacity=4, **fields) -> tuple[Event, list[Registration]]:
    event = make_event(venue, capacity=capacity, **fields)
    return event, [_sell(event, 1) for _ in range(capacity)]


def _entry(user, event, quantity=1) -> WaitlistEntry:
    response = _join(user, event, quantity)
    assert response.status_code == 201, response.json()
    return WaitlistEntry.objects.get(pk=response.json()["id"])


def _status(entry) -> str:
    entry.refresh_from_db()
    return entry.status


def test_joining_a_sold_out_event_gives_a_place_in_the_queue(venue, customer):
    event, _ = _sold_out(venue)
    first = _join(customer, event, 2)
    second = _join(make_user(), event)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["event_id"] == str(event.id)
    assert (body["quantity"], body["position"], body["status"]) == (2, 1, "waiting")
    assert body["registration_id"] is None
    assert second.json()["position"] == 2
    audit = AuditEntry.objects.get(entity_id=body["id"])
    assert audit.action == "waitlist.joined"
    assert audit.new_values["position"] == 1


def test_joining_is_refused_while_places_can_be_bought(venue, customer):
    event = make_event(venue, capacity=5)
    _sell(event, 3)
    response = _join(customer, event, 2)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + "not-sold-out"
    assert response.json()["available"] == 2
    assert not WaitlistEntry.objects.exists()
    # Three places do not fit in the two left: waiting for them is allowed.
    assert _join(customer, event, 3).status_code == 201


def test_one_waiting_entry_per_person(venue, customer):
    event, _ = _sold_out(venue)
    assert _join(customer, event).status_code == 201
    again = _join(customer, event, 2)
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEM + "already-waiting"
    assert WaitlistEntry.objects.filter(event=event).count() == 1


def test_the_database_refuses_a_second_waiting_entry(venue, customer):
    event, _ = _sold_out(venue)
    _entry(customer, event)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(event=event, attendee=customer, seq=10**9)


def test_ticket_holders_cannot_wait(venue):
    event, registrations = _sold_out(venue)
    holder = registrations[0].attendee
    response = _join(holder, event)
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "already-registered"


@pytest.mark.parametrize(
    "status", [EventStatus.PUBLISHED, EventStatus.PAUSED, EventStatus.CLOSED]
)
def test_only_on_sale_events_have_a_waiting_list(venue, customer, status):
    event = make_event(venue, status=status, capacity=1)
    response = _join(customer, event)
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "not-on-sale"


@pytest.mark.parametrize("quantity", [0, 11, "two"])
def test_waiting_quantity_is_1_to_10(venue, customer, quantity):
    event, _ = _sold_out(venue)
    response = _join(customer, event, quantity)
    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]


def test_anonymous_cannot_join(venue, anon_client):
    event, _ = _sold_out(venue)
    response = anon_client.post(f"/api/v1/events/{event.id}/waitlist/", {})
    assert response.status_code == 401


def test_my_waitlist_shows_positions_and_outcomes(venue, customer):
    event, registrations = _sold_out(venue, capacity=2)
    other = make_event(venue, capacity=1)
    _sell(other, 1)
    _entry(make_user(), event)
    mine = _entry(customer, event)
    promoted = _entry(customer, other)
    services.registration_cancel(
        registration=other.registrations.get(), actor=make_user(Role.ADMIN)
    )
    response = client_for(customer).get("/api/v1/me/waitlist/")
    assert response.status_code == 200
    results = {item["id"]: item for item in response.json()["results"]}
    assert results[str(mine.id)]["position"] == 2
    assert results[str(promoted.id)]["status"] == "promoted"
    assert results[str(promoted.id)]["position"] is None
    registration_id = results[str(promoted.id)]["registration_id"]
    assert Registration.objects.get(pk=registration_id).attendee == customer
    assert response.json()["count"] == 2
    waiting = client_for(customer).get("/api/v1/me/waitlist/?status=waiting").json()
    assert [item["id"] for item in waiting["results"]] == [str(mine.id)]
    bad = client_for(customer).get("/api/v1/me/waitlist/?status=maybe")
    assert bad.status_code == 400


def test_leaving_moves_the_people_behind_up(venue, customer):
    event, _ = _sold_out(venue)
    first = _entry(customer, event)
    behind = make_user()
    _entry(behind, event)
    response = client_for(customer).delete(f"/api/v1/waitlist/{first.id}/")
    assert response.status_code == 204
    assert _status(first) == "left"
    assert AuditEntry.objects.filter(entity_id=first.id, action="waitlist.left")
    queue = client_for(behind).get("/api/v1/me/waitlist/").json()["results"]
    assert queue[0]["position"] == 1
    # Leaving twice changes nothing; joining again goes to the back.
    assert (
        client_for(customer).delete(f"/api/v1/waitlist/{first.id}/").status_code == 204
    )
    assert _join(customer, event).json()["position"] == 2


def test_only_the_person_waiting_may_leave(venue, customer, manager):
    event, _ = _sold_out(venue)
    entry = _entry(customer, event)
    assert (
        client_for(make_user()).delete(f"/api/v1/waitlist/{entry.id}/").status_code
        == 404
    )
    assert (
        client_for(manager).delete(f"/api/v1/waitlist/{entry.id}/").status_code == 403
    )
    assert _status(entry) == "waiting"


def test_a_promoted_entry_cannot_be_left(venue, customer):
    event, registrations = _sold_out(venue, capacity=1)
    entry = _entry(customer, event)
    services.registration_cancel(
        registration=registrations[0], actor=registrations[0].attendee
    )
    response = client_for(customer).delete(f"/api/v1/waitlist/{entry.id}/")
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "already-promoted"


def test_managers_see_the_queue_in_order(
    venue, manager, customer, django_assert_num_queries
):
    event, _ = _sold_out(venue)
    people = [make_user() for _ in range(3)]
    entries = [
        _entry(person, event, quantity)
        for person, quantity in zip(people, [2, 1, 3], strict=True)
    ]
    client = client_for(manager)
    with django_assert_num_queries(5):  # token (read, last use), event, count, page
        response = client.get(f"/api/v1/events/{event.id}/waitlist/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["id"] for item in results] == [str(entry.id) for entry in entries]
    assert [item["position"] for item in results] == [1, 2, 3]
    assert [item["attendee"]["id"] for item in results] == [str(p.id) for p in people]
    assert (
        client_for(customer).get(f"/api/v1/events/{event.id}/waitlist/").status_code
        == 403
    )


# --- promotion --------------------------------------------------------------


def test_a_cancellation_promotes_first_come_first_served_skipping_what_does_not_fit(
    venue,
):
    event = make_event(venue, capacity=4)
    big = _sell(event, 3)
    _sell(event, 1)
    people = [make_user() for _ in range(4)]
    # Queue: 4 places (never fits), 2, 3, 1.
    entries = [
        _entry(person, event, quantity)
        for person, quantity in zip(people, [4, 2, 3, 1], strict=True)
    ]
    services.registration_cancel(registration=big, actor=big.attendee)
    # 3 places free: the 4 is skipped, the 2 fits, the 3 no longer does, the 1 does.
    assert [_status(entry) for entry in entries] == [
        "waiting",
        "promoted",
        "waiting",
        "promoted",
    ]
    event.refresh_from_db()
    assert event.tickets_sold == 4
    assert oversold_events() == []
    promoted = entries[1]
    promoted.refresh_from_db()
    registration = promoted.registration
    assert (registration.attendee, registration.quantity) == (people[1], 2)
    assert registration.status == "active" and len(registration.code) >= 22
    audit = AuditEntry.objects.get(entity_id=registration.id)
    assert audit.action == "registration.promoted"
    assert audit.actor == big.attendee
    assert audit.new_values["waitlist_entry_id"] == str(promoted.id)
    assert audit.new_values["attendee_id"] == str(people[1].id)


def test_raising_the_capacity_promotes(venue, manager):
    event, _ = _sold_out(venue, capacity=2)
    entries = [_entry(make_user(), event, quantity) for quantity in (2, 1, 1)]
    response = client_for(manager).patch(
        f"/api/v1/events/{event.id}/", {"capacity": 5}, format="json"
    )
    assert response.status_code == 200
    assert [_status(entry) for entry in entries] == ["promoted", "promoted", "waiting"]
    assert Event.objects.get(pk=event.pk).tickets_sold == 5
    assert oversold_events() == []


def test_promotion_waits_while_paused_and_happens_when_back_on_sale(venue, manager):
    event, registrations = _sold_out(venue, capacity=1)
    entry = _entry(make_user(), event)
    services.event_transition(event=event, actor=manager, status=EventStatus.PAUSED)
    services.registration_cancel(
        registration=registrations[0], actor=registrations[0].attendee
    )
    assert _status(entry) == "waiting"
    services.event_transition(event=event, actor=manager, status=EventStatus.ON_SALE)
    assert _status(entry) == "promoted"
    assert Event.objects.get(pk=event.pk).tickets_sold == 1


def test_someone_who_bought_directly_leaves_the_queue_instead_of_a_second_ticket(
    venue,
):
    event = make_event(venue, capacity=3)
    _sell(event, 2)
    last = _sell(event, 1)
    waiting = make_user()
    entry = _entry(waiting, event, 2)  # 2 do not fit in the 0 left
    services.registration_cancel(registration=last, actor=last.attendee)
    assert _status(entry) == "waiting"  # 1 free place, 2 wanted
    services.registration_create(event=event, actor=waiting, quantity=1)
    first_two = Registration.objects.filter(event=event, quantity=2).get()
    services.registration_cancel(registration=first_two, actor=first_two.attendee)
    assert _status(entry) == "left"
    assert Registration.objects.filter(event=event, attendee=waiting).count() == 1
    assert (
        AuditEntry.objects.get(entity_id=entry.id, action="waitlist.left").new_values[
            "reason"
        ]
        == "already-registered"
    )
