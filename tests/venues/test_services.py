"""Venue services decide who may do what themselves: each is called here with
every kind of caller, no view involved. A refusal changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import ACTOR_KINDS, make_actor, make_space, make_user, refusal_for
from venueos.audit.models import AuditEntry
from venueos.common.problems import InvalidInput
from venueos.venues import services
from venueos.venues.models import Closure, OpeningHours, Space, Venue

pytestmark = pytest.mark.django_db

MANAGERS = {"manager", "admin"}
NEW_YEAR = datetime.fromisoformat("2031-01-01T00:00:00+01:00")
NEW_YEAR_END = datetime.fromisoformat("2031-01-02T00:00:00+01:00")


def _state():
    return (
        list(Venue.objects.values_list("id", "name", "archived_at")),
        list(Space.objects.values_list("id", "name", "parent_id")),
        list(OpeningHours.objects.values_list("id")),
        list(Closure.objects.values_list("id")),
        AuditEntry.objects.count(),
    )


def _closure(venue):
    return Closure.objects.create(
        venue=venue, start_time=NEW_YEAR, end_time=NEW_YEAR_END
    )


# Every venue write, by what it needs: (world) -> call(actor).
WRITES = {
    "venue_create": lambda w: (
        lambda actor: services.venue_create(
            actor=actor,
            organization=w["venue"].organization,
            name="Annex",
            timezone="Europe/Berlin",
            max_capacity=50,
        )
    ),
    "venue_create by organization id": lambda w: (
        lambda actor: services.venue_create(
            actor=actor,
            organization_id=w["venue"].organization_id,
            name="Annex",
            timezone="Europe/Berlin",
            max_capacity=50,
        )
    ),
    "venue_update": lambda w: (
        lambda actor: services.venue_update(
            venue=w["venue"], actor=actor, name="Renamed"
        )
    ),
    "venue_archive": lambda w: (
        lambda actor: services.venue_archive(venue=w["venue"], actor=actor)
    ),
    "space_create": lambda w: (
        lambda actor: services.space_create(
            venue=w["venue"],
            actor=actor,
            name="Room",
            capacity=5,
            parent_id=w["hall"].id,
        )
    ),
    "space_update": lambda w: (
        lambda actor: services.space_update(
            space=w["hall"], actor=actor, name="Great Hall"
        )
    ),
    "space_delete": lambda w: (
        lambda actor: services.space_delete(space=w["hall"], actor=actor)
    ),
    "opening_hours_replace": lambda w: (
        lambda actor: services.opening_hours_replace(
            venue=w["venue"], actor=actor, intervals=[(0, 540, 1020)]
        )
    ),
    "closure_create": lambda w: (
        lambda actor: services.closure_create(
            venue=w["venue"],
            actor=actor,
            start_time=NEW_YEAR,
            end_time=NEW_YEAR_END,
            space_id=w["hall"].id,
        )
    ),
    "closure_delete": lambda w: (
        lambda actor: services.closure_delete(closure=w["closure"], actor=actor)
    ),
}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
@pytest.mark.parametrize("write", list(WRITES))
def test_only_the_organizations_managers_write_venues(write, kind, venue):
    world = {"venue": venue, "hall": make_space(venue), "closure": _closure(venue)}
    call = WRITES[write](world)
    actor = make_actor(kind, venue.organization, make_user())
    refusal = refusal_for(kind, MANAGERS)
    before = _state()
    if refusal is None:
        call(actor)
        assert _state() != before
    else:
        with pytest.raises(refusal):
            call(actor)
        assert _state() == before


@pytest.mark.parametrize("kind", ["anonymous", "customer", "owner"])
def test_a_venue_without_an_organization_is_refused_before_it_is_asked_for(kind, org):
    actor = make_actor(kind, org)
    with pytest.raises(refusal_for(kind, MANAGERS)):
        services.venue_create(actor=actor, name="Mine", timezone="UTC", max_capacity=5)


def test_an_admin_names_the_organization_of_a_new_venue(admin, manager):
    with pytest.raises(InvalidInput) as raised:
        services.venue_create(actor=admin, name="Mine", timezone="UTC", max_capacity=5)
    assert "organization_id" in raised.value.errors
    venue = services.venue_create(
        actor=manager, name="Mine", timezone="UTC", max_capacity=5
    )
    assert venue.organization_id == manager.organization_id
