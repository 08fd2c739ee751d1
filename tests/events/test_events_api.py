"""Events over the API: creation, visibility, lifecycle, edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import client_for, make_space, make_user, make_venue
from tests.events.helpers import iso, make_event, set_sold
from venueos.accounts.models import Role
from venueos.audit.models import AuditEntry
from venueos.events.models import Event, EventStatus
from venueos.events.services import TRANSITIONS

pytestmark = pytest.mark.django_db

PROBLEM = "https://venueos.dev/problems/"
STATUSES = [status.value for status in EventStatus]


def _event_body(venue, **overrides):
    start = timezone.now() + timedelta(days=20)
    body = {
        "venue_id": str(venue.id),
        "name": "Spring Gala",
        "start_at": iso(start),
        "end_at": iso(start + timedelta(hours=3)),
        "capacity": 120,
    }
    body.update(overrides)
    return body


# --- creation ---------------------------------------------------------------


def test_a_manager_creates_a_draft_event(manager, venue):
    response = client_for(manager).post(
        "/api/v1/events/",
        _event_body(venue, settings={"dress_code": "black tie"}),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["slug"] == "spring-gala"
    assert (body["capacity"], body["tickets_sold"], body["available"]) == (120, 0, 120)
    assert body["is_full"] is False and body["is_past"] is False
    assert body["settings"] == {"dress_code": "black tie"}
    assert body["start_at"].endswith("Z")
    assert AuditEntry.objects.filter(
        entity_id=body["id"], action="event.created"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_at": "2030-01-01T10:00:00"}, "start_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 501}, "capacity"),
        ({"end_at": iso(timezone.now() + timedelta(days=19))}, "end_at"),
        (
            {
                "start_at": iso(timezone.now() - timedelta(days=1)),
                "end_at": iso(timezone.now() + timedelta(days=1)),
            },
            "start_at",
        ),
    ],
    ids=["naive-timestamp", "zero-capacity", "over-venue-max", "ends-first", "past"],
)
def test_invalid_events_are_a_400_naming_the_field(manager, venue, overrides, field):
    response = client_for(manager).post(
        "/api/v1/events/", _event_body(venue, **overrides), format="json"
    )
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_capacity_may_not_exceed_the_space(manager, venue):
    space = make_space(venue, capacity=40)
    response = client_for(manager).post(
        "/api/v1/events/",
        _event_body(venue, space_id=str(space.id), capacity=41),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM + "capacity-too-large"


def test_the_space_must_belong_to_the_venue(manager, venue, org):
    elsewhere = make_space(make_venue(org))
    response = client_for(manager).post(
        "/api/v1/events/",
        _event_body(venue, space_id=str(elsewhere.id)),
        format="json",
    )
    assert response.status_code == 400
    assert "space_id" in response.json()["errors"]


def test_slugs_are_unique_per_organization(manager, venue, other_manager):
    client = client_for(manager)
    assert (
        client.post("/api/v1/events/", _event_body(venue), format="json").status_code
        == 201
    )
    again = client.post("/api/v1/events/", _event_body(venue), format="json")
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEM + "slug-taken"
    other_venue = make_venue(other_manager.organization)
    assert (
        client_for(other_manager)
        .post("/api/v1/events/", _event_body(other_venue), format="json")
        .status_code
        == 201
    )


def test_only_the_venues_managers_create_events(venue, customer, other_manager):
    assert (
        client_for(customer)
        .post("/api/v1/events/", _event_body(venue), format="json")
        .status_code
        == 403
    )
    assert (
        client_for(other_manager)
        .post("/api/v1/events/", _event_body(venue), format="json")
        .status_code
        == 403
    )
    assert (
        client_for(None)
        .post("/api/v1/events/", _event_body(venue), format="json")
        .status_code
        == 401
    )


# --- visibility and JSON ----------------------------------------------------


def test_drafts_are_visible_only_to_their_managers(
    manager, admin, venue, customer, other_manager
):
    draft = make_event(venue, status=EventStatus.DRAFT)
    published = make_event(venue, status=EventStatus.PUBLISHED)
    for outsider in (None, customer, other_manager):
        client = client_for(outsider)
        assert client.get(f"/api/v1/events/{draft.id}/").status_code == 404
        assert client.get(f"/api/v1/events/{published.id}/").status_code == 200
        listed = {row["id"] for row in client.get("/api/v1/events/").json()["results"]}
        assert listed == {str(published.id)}
    for insider in (manager, admin):
        client = client_for(insider)
        assert client.get(f"/api/v1/events/{draft.id}/").status_code == 200
        listed = {row["id"] for row in client.get("/api/v1/events/").json()["results"]}
        assert listed == {str(draft.id), str(published.id)}


def test_a_draft_cannot_be_registered_for_even_knowing_its_id(venue, customer):
    draft = make_event(venue, status=EventStatus.DRAFT)
    response = client_for(customer).post(
        f"/api/v1/events/{draft.id}/registrations/", {}, format="json"
    )
    assert response.status_code == 404


def test_list_filters(org, venue, anon_client):
    other_venue = make_venue(org)
    other_org_venue = make_venue(make_user(Role.MANAGER, make_org()).organization)
    soon = make_event(venue, status=EventStatus.ON_SALE)
    make_event(other_venue, status=EventStatus.PUBLISHED)
    foreign = make_event(other_org_venue, status=EventStatus.ON_SALE)
    past = make_event(venue, status=EventStatus.CLOSED, starts_in=timedelta(days=-3))

    def ids(query):
        response = anon_client.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"venue_id={venue.id}") == {str(soon.id), str(past.id)}
    assert str(foreign.id) not in ids(f"organization={org.slug}")
    assert len(ids(f"organization={org.slug}")) == 3
    assert ids("status=on_sale") == {str(soon.id), str(foreign.id)}
    assert str(past.id) not in ids("upcoming=1")
    assert anon_client.get("/api/v1/events/?status=bogus").status_code == 400
    assert anon_client.get("/api/v1/events/?venue_id=nope").status_code == 400


def make_org():
    from tests.conftest import make_organization

    return make_organization()


def test_event_json_shows_sold_out_without_changing_status(venue, anon_client):
    event = make_event(venue, status=EventStatus.ON_SALE, capacity=10)
    set_sold(event, 10)
    body = anon_client.get(f"/api/v1/events/{event.id}/").json()
    assert body["status"] == "on_sale"
    assert body["display_status"] == "sold_out"
    assert (body["available"], body["is_full"]) == (0, True)
    paused = make_event(venue, status=EventStatus.PAUSED, capacity=10)
    set_sold(paused, 10)
    assert anon_client.get(f"/api/v1/events/{paused.id}/").json()["display_status"] == (
        "paused"
    )


def test_event_json_says_whether_it_is_past_or_ongoing(venue, anon_client):
    ongoing = make_event(
        venue, starts_in=timedelta(hours=-1), duration=timedelta(hours=2)
    )
    past = make_event(venue, starts_in=timedelta(days=-2))
    body = anon_client.get(f"/api/v1/events/{ongoing.id}/").json()
    assert (body["is_ongoing"], body["is_past"]) == (True, False)
    body = anon_client.get(f"/api/v1/events/{past.id}/").json()
    assert (body["is_ongoing"], body["is_past"]) == (False, True)


def test_the_event_list_costs_a_constant_number_of_queries(
    venue, anon_client, django_assert_num_queries
):
    for _ in range(5):
        make_event(venue)
    with django_assert_num_queries(2):  # count + one page
        response = anon_client.get("/api/v1/events/")
    assert response.json()["count"] == 5


# --- lifecycle --------------------------------------------------------------


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("current", STATUSES)
def test_transition_table(manager, venue, current, target):
    event = make_event(venue, status=current)
    response = client_for(manager).post(
        f"/api/v1/events/{event.id}/transition/", {"status": target}, format="json"
    )
    allowed = {
        ("draft", "published"),
        ("draft", "closed"),
        ("published", "on_sale"),
        ("published", "draft"),
        ("published", "closed"),
        ("on_sale", "paused"),
        ("on_sale", "closed"),
        ("paused", "on_sale"),
        ("paused", "closed"),
    }
    event.refresh_from_db()
    audits = AuditEntry.objects.filter(
        entity_id=event.id, action="event.status_changed"
    )
    if (current, target) in allowed:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == target == event.status
        entry = audits.get()
        assert (entry.old_values, entry.new_values) == (
            {"status": current},
            {"status": target},
        )
        assert entry.actor_id == manager.id
    else:
        assert response.status_code == 409
        assert response.json()["type"] == PROBLEM + "invalid-transition"
        assert event.status == current
        assert not audits.exists()
    # The table in the code says the same as the contract spelled out here.
    assert ((current, target) in allowed) == (target in TRANSITIONS[current])


def test_published_goes_back_to_draft_only_while_nothing_is_sold(manager, venue):
    event = make_event(venue, status=EventStatus.PUBLISHED)
    set_sold(event, 1)
    response = client_for(manager).post(
        f"/api/v1/events/{event.id}/transition/", {"status": "draft"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "invalid-transition"


def test_only_managers_of_the_organization_change_the_status(
    venue, customer, other_manager
):
    event = make_event(venue, status=EventStatus.PUBLISHED)
    for user, expected in ((customer, 403), (other_manager, 403), (None, 401)):
        response = client_for(user).post(
            f"/api/v1/events/{event.id}/transition/",
            {"status": "on_sale"},
            format="json",
        )
        assert response.status_code == expected
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


def test_an_unknown_status_is_a_400(manager, venue):
    event = make_event(venue, status=EventStatus.PUBLISHED)
    response = client_for(manager).post(
        f"/api/v1/events/{event.id}/transition/", {"status": "sold_out"}, format="json"
    )
    assert response.status_code == 400


# --- edits ------------------------------------------------------------------


def test_a_manager_edits_an_event_and_it_is_audited(manager, venue):
    event = make_event(venue, status=EventStatus.ON_SALE, capacity=50)
    response = client_for(manager).patch(
        f"/api/v1/events/{event.id}/",
        {"name": "Renamed", "capacity": 60},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["capacity"]) == ("Renamed", 60)
    entry = AuditEntry.objects.get(entity_id=event.id, action="event.updated")
    assert entry.new_values == {"name": "Renamed", "capacity": 60}


def test_capacity_cannot_drop_below_what_is_sold(manager, venue):
    event = make_event(venue, status=EventStatus.ON_SALE, capacity=50)
    set_sold(event, 30)
    client = client_for(manager)
    response = client.patch(
        f"/api/v1/events/{event.id}/", {"capacity": 29}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "capacity-below-sold"
    assert response.json()["tickets_sold"] == 30
    assert (
        client.patch(
            f"/api/v1/events/{event.id}/", {"capacity": 30}, format="json"
        ).status_code
        == 200
    )


def test_the_check_constraint_backs_the_capacity_rule():
    from django.db import IntegrityError, transaction

    venue = make_venue(make_org())
    event = make_event(venue, capacity=10)
    set_sold(event, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(capacity=4)


def test_capacity_edits_respect_the_venue_maximum(manager, venue):
    event = make_event(venue)
    response = client_for(manager).patch(
        f"/api/v1/events/{event.id}/", {"capacity": 501}, format="json"
    )
    assert response.status_code == 400


def test_closed_events_cannot_be_edited(manager, venue):
    event = make_event(venue, status=EventStatus.CLOSED)
    response = client_for(manager).patch(
        f"/api/v1/events/{event.id}/", {"name": "Again"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEM + "event-closed"


def test_customers_cannot_edit_events(venue, customer):
    event = make_event(venue)
    response = client_for(customer).patch(
        f"/api/v1/events/{event.id}/", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 403


def test_an_edit_never_writes_back_a_stale_tickets_sold(manager, venue):
    event = make_event(venue, capacity=50)
    stale = Event.objects.get(pk=event.pk)
    set_sold(event, 7)  # sold after `stale` was read
    from venueos.events.services import event_update

    event_update(event=stale, actor=manager, name="Still seven sold")
    event.refresh_from_db()
    assert (event.name, event.tickets_sold) == ("Still seven sold", 7)
