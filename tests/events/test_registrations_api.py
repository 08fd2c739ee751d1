"""Registrations over the API: selling, refusing, cancelling, idempotent retries."""

from __future__ import annotations

import pytest

from tests.conftest import client_for, make_user
from tests.events.helpers import make_event, set_sold, start_now
from venueos.audit.models import AuditEntry
from venueos.events.models import Event, EventStatus, Registration
from venueos.events.selectors import oversold_events

pytestmark = pytest.mark.django_db

PROBLEM = "https://venueos.dev/problems/"


def _register(user, event, quantity=None, **headers):
    body = {} if quantity is None else {"quantity": quantity}
    return client_for(user).post(
        f"/api/v1/events/{event.id}/registrations/", body, format="json", **headers
    )


def _sold(event) -> int:
    return Event.objects.values_list("tickets_sold", flat=True).get(pk=event.pk)


def test_registering_sells_places_and_is_audited(venue, customer):
    event = make_event(venue, capacity=10)
    response = _register(customer, event, 3)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["quantity"], body["status"]) == (3, "active")
    assert body["event"]["id"] == str(event.id)
    assert body["attendee"]["id"] == str(customer.id)
    assert _sold(event) == 3
    entry = AuditEntry.objects.get(entity_id=body["id"])
    assert entry.action == "registration.created"
    assert entry.new_values["quantity"] == 3
    assert oversold_events() == []


def test_quantity_defaults_to_one(venue, customer):
    event = make_event(venue)
    assert _register(customer, event).json()["quantity"] == 1


@pytest.mark.parametrize("quantity", [0, 11, -1, "many"])
def test_quantity_must_be_1_to_10(venue, customer, quantity):
    event = make_event(venue)
    response = _register(customer, event, quantity)
    assert response.status_code == 400
    assert "quantity" in response.json()["errors"]
    assert _sold(event) == 0


@pytest.mark.parametrize(
    "status", [EventStatus.PUBLISHED, EventStatus.PAUSED, EventStatus.CLOSED]
)
def test_only_on_sale_events_sell(venue, customer, status):
    event = make_event(venue, status=status)
    response = _register(customer, event, 1)
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "not-on-sale"
    assert _sold(event) == 0
    assert not Registration.objects.exists()


def test_sold_out_says_how_many_places_are_left(venue, customer):
    event = make_event(venue, capacity=5)
    set_sold(event, 3)
    response = _register(customer, event, 3)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + "sold-out"
    assert body["available"] == 2
    assert _sold(event) == 3
    assert _register(customer, event, 2).status_code == 201
    full = _register(make_user(), event, 1)
    assert (full.status_code, full.json()["available"]) == (409, 0)
    assert _sold(event) == 5


def test_a_sold_out_refusal_is_answered_from_the_events_one_read(venue, customer):
    """The late buyers of a sold-out event cost the token and one read of the
    event, nothing more: no second read, no transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    event = make_event(venue, capacity=5)
    set_sold(event, 5)
    client = client_for(customer)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/api/v1/events/{event.id}/registrations/", {}, format="json"
        )
    assert (response.status_code, response.json()["type"]) == (
        409,
        PROBLEM + "sold-out",
    )
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum("events_event" in sql for sql in statements) == 1
    assert not [sql for sql in statements if sql.startswith(("BEGIN", "INSERT"))]
    assert not Registration.objects.exists()


def test_one_active_registration_per_attendee_and_the_sale_rolls_back(venue, customer):
    event = make_event(venue, capacity=10)
    assert _register(customer, event, 2).status_code == 201
    again = _register(customer, event, 1)
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEM + "already-registered"
    assert _sold(event) == 2
    assert Registration.objects.count() == 1


def test_registering_again_after_cancelling_is_allowed(venue, customer):
    event = make_event(venue, capacity=10)
    client = client_for(customer)
    first = _register(customer, event, 2).json()
    assert client.delete(f"/api/v1/registrations/{first['id']}/").status_code == 204
    assert _sold(event) == 0
    second = _register(customer, event, 4)
    assert second.status_code == 201
    assert _sold(event) == 4
    assert Registration.objects.filter(attendee=customer).count() == 2
    assert oversold_events() == []


def test_anonymous_users_cannot_register(venue):
    event = make_event(venue)
    assert _register(None, event).status_code == 401


# --- cancelling -------------------------------------------------------------


def test_the_attendee_cancels_and_the_places_return(venue, customer):
    event = make_event(venue, capacity=10)
    registration_id = _register(customer, event, 3).json()["id"]
    response = client_for(customer).delete(f"/api/v1/registrations/{registration_id}/")
    assert response.status_code == 204
    registration = Registration.objects.get(pk=registration_id)
    assert registration.status == "cancelled" and registration.cancelled_at
    assert registration.cancelled_by_id == customer.id
    assert _sold(event) == 0
    entry = AuditEntry.objects.get(
        entity_id=registration_id, action="registration.cancelled"
    )
    assert entry.new_values["by_attendee"] is True


def test_cancelling_twice_changes_nothing(venue, customer):
    event = make_event(venue, capacity=10)
    registration_id = _register(customer, event, 3).json()["id"]
    client = client_for(customer)
    assert client.delete(f"/api/v1/registrations/{registration_id}/").status_code == 204
    _register(make_user(), event, 2)
    assert client.delete(f"/api/v1/registrations/{registration_id}/").status_code == 204
    assert _sold(event) == 2
    assert (
        AuditEntry.objects.filter(
            entity_id=registration_id, action="registration.cancelled"
        ).count()
        == 1
    )


def test_the_events_managers_may_cancel_others_may_not_see(
    venue, manager, customer, other_manager
):
    event = make_event(venue, capacity=10)
    registration_id = _register(customer, event, 1).json()["id"]
    stranger = make_user()
    for outsider in (stranger, other_manager):
        response = client_for(outsider).delete(
            f"/api/v1/registrations/{registration_id}/"
        )
        assert response.status_code == 404
    assert _sold(event) == 1
    response = client_for(manager).delete(f"/api/v1/registrations/{registration_id}/")
    assert response.status_code == 204
    assert _sold(event) == 0


def test_no_cancelling_after_the_event_started(venue, customer, manager):
    event = make_event(venue, capacity=10)
    registration_id = _register(customer, event, 2).json()["id"]
    start_now(event)
    for user in (customer, manager):
        response = client_for(user).delete(f"/api/v1/registrations/{registration_id}/")
        assert response.status_code == 409
        assert response.json()["type"] == PROBLEM + "event-started"
    assert Registration.objects.get(pk=registration_id).status == "active"
    assert _sold(event) == 2


# --- listings ---------------------------------------------------------------


def test_managers_list_an_events_registrations(venue, manager, customer):
    event = make_event(venue, capacity=10)
    _register(customer, event, 2)
    _register(make_user(), event, 1)
    response = client_for(manager).get(f"/api/v1/events/{event.id}/registrations/")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert (
        client_for(customer)
        .get(f"/api/v1/events/{event.id}/registrations/")
        .status_code
        == 403
    )


def test_my_registrations_are_only_mine(venue, customer, django_assert_num_queries):
    mine = [make_event(venue) for _ in range(3)]
    for event in mine:
        _register(customer, event, 1)
    _register(make_user(), mine[0], 1)
    client = client_for(customer)
    response = client.get("/api/v1/me/registrations/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert {row["event"]["id"] for row in body["results"]} == {
        str(event.id) for event in mine
    }
    assert client_for(None).get("/api/v1/me/registrations/").status_code == 401


def test_fast_registration_json_matches_the_documented_serializer(venue, customer):
    """The API renders registrations with `registration_json`; the schema
    documents `RegistrationOut`. They must never drift apart, for an active
    registration (as the sale returns it, and as lists read it) and a
    cancelled one."""
    from venueos.events.serializers import RegistrationOut, registration_json

    event = make_event(venue, capacity=10)
    sold = _register(customer, event, 2)
    assert sold.status_code == 201
    registration = Registration.objects.select_related("event", "attendee").get()
    assert sold.json() == registration_json(registration)
    assert registration_json(registration) == RegistrationOut(registration).data
    cancelled = client_for(customer).delete(f"/api/v1/registrations/{registration.id}/")
    assert cancelled.status_code == 204
    registration = Registration.objects.select_related("event", "attendee").get()
    assert registration.cancelled_at is not None
    assert registration_json(registration) == RegistrationOut(registration).data


# --- idempotent retries -----------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_registration(venue, customer):
    event = make_event(venue, capacity=10)
    first = _register(customer, event, 2, HTTP_IDEMPOTENCY_KEY="abc-1")
    second = _register(customer, event, 2, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Registration.objects.count() == 1
    assert _sold(event) == 2


def test_the_same_key_with_another_body_is_a_422(venue, customer):
    event = make_event(venue, capacity=10)
    _register(customer, event, 2, HTTP_IDEMPOTENCY_KEY="abc-2")
    response = _register(customer, event, 3, HTTP_IDEMPOTENCY_KEY="abc-2")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert _sold(event) == 2


def test_the_same_key_for_another_event_is_a_422(venue, customer):
    first, second = make_event(venue), make_event(venue)
    _register(customer, first, 1, HTTP_IDEMPOTENCY_KEY="abc-3")
    response = _register(customer, second, 1, HTTP_IDEMPOTENCY_KEY="abc-3")
    assert response.status_code == 422
    assert _sold(second) == 0


def test_a_refusal_is_replayed_even_after_places_free_up(venue, customer):
    event = make_event(venue, capacity=2)
    set_sold(event, 2)
    refused = _register(customer, event, 1, HTTP_IDEMPOTENCY_KEY="abc-4")
    assert refused.status_code == 409
    set_sold(event, 0)
    replay = _register(customer, event, 1, HTTP_IDEMPOTENCY_KEY="abc-4")
    assert (replay.status_code, replay.json()) == (409, refused.json())
    assert replay["Content-Type"] == "application/problem+json"
    assert _register(customer, event, 1, HTTP_IDEMPOTENCY_KEY="abc-5").status_code == (
        201
    )


def test_an_idempotency_key_over_255_characters_is_a_400(venue, customer):
    event = make_event(venue)
    response = _register(customer, event, 1, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert _sold(event) == 0


# --- integrity check --------------------------------------------------------


def test_oversold_events_reports_a_counter_that_disagrees(venue, customer):
    event = make_event(venue, capacity=10)
    _register(customer, event, 2)
    assert oversold_events() == []
    set_sold(event, 3)
    problems = oversold_events()
    assert len(problems) == 1
    assert str(event.id) in problems[0] and "tickets_sold=3" in problems[0]


def test_no_sale_once_the_event_has_started(venue, customer):
    from tests.events.helpers import make_event, start_now

    event = make_event(venue)
    start_now(event)
    response = client_for(customer).post(
        f"/api/v1/events/{event.id}/registrations/", {"quantity": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/event-started")
    event.refresh_from_db()
    assert event.tickets_sold == 0


def test_registration_lists_refuse_an_unknown_status(venue, customer):
    response = client_for(customer).get(
        "/api/v1/me/registrations/", {"status": "bogus"}
    )
    assert response.status_code == 400
