"""Event and registration services decide who may do what themselves: each is
called here with every kind of caller, no view involved. A refusal changes
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import ACTOR_KINDS, make_actor, make_user, refusal_for
from tests.events.helpers import make_event
from venueos.audit.models import AuditEntry
from venueos.events import services
from venueos.events.models import Event, EventStatus, Registration

pytestmark = pytest.mark.django_db

EVERYONE_SIGNED_IN = set(ACTOR_KINDS) - {"anonymous"}
OWNER_OR_MANAGERS = {"owner", "manager", "admin"}
MANAGERS = {"manager", "admin"}


@pytest.fixture
def owner(db):
    return make_user()


@pytest.fixture
def event(venue):
    return make_event(venue, status=EventStatus.ON_SALE)


def _state():
    return (
        list(Event.objects.values_list("id", "name", "status", "tickets_sold")),
        list(Registration.objects.values_list("id", "status")),
        AuditEntry.objects.count(),
    )


def _check(kind: str, allowed: set[str], call) -> None:
    refusal = refusal_for(kind, allowed)
    before = _state()
    if refusal is None:
        call()
        assert _state() != before
    else:
        with pytest.raises(refusal):
            call()
        assert _state() == before


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_organizations_managers_create_events(kind, venue, owner):
    actor = make_actor(kind, venue.organization, owner)
    start = timezone.now() + timedelta(days=20)
    _check(
        kind,
        MANAGERS,
        lambda: services.event_create(
            venue=venue,
            actor=actor,
            name="Gala",
            start_at=start,
            end_at=start + timedelta(hours=3),
            capacity=10,
        ),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_organizations_managers_change_events(kind, event, owner):
    actor = make_actor(kind, event.organization, owner)
    _check(
        kind,
        MANAGERS,
        lambda: services.event_update(event=event, actor=actor, name="Renamed"),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_organizations_managers_move_events_through_their_life(
    kind, event, owner
):
    actor = make_actor(kind, event.organization, owner)
    _check(
        kind,
        MANAGERS,
        lambda: services.event_transition(
            event=event, actor=actor, status=EventStatus.PAUSED
        ),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_anyone_signed_in_registers(kind, event, owner):
    actor = make_actor(kind, event.organization, owner)
    _check(
        kind,
        EVERYONE_SIGNED_IN,
        lambda: services.registration_create(event=event, actor=actor, quantity=2),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_the_attendee_and_the_events_managers_cancel_a_registration(kind, event, owner):
    registration = services.registration_create(event=event, actor=owner)
    actor = make_actor(kind, event.organization, owner)
    _check(
        kind,
        OWNER_OR_MANAGERS,
        lambda: services.registration_cancel(registration=registration, actor=actor),
    )
