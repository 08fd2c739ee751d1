"""Booking services decide who may do what themselves: each is called here
with every kind of caller, no view involved. A refusal changes nothing."""

from __future__ import annotations

import pytest

from tests.bookings.helpers import at, future_day
from tests.conftest import ACTOR_KINDS, make_actor, make_space, make_user, refusal_for
from venueos.audit.models import AuditEntry
from venueos.bookings import services
from venueos.bookings.imports import BookingImportRow, booking_import
from venueos.bookings.models import Booking, BookingStatus
from venueos.common.problems import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db

DAY = future_day(45)
EVERYONE_SIGNED_IN = set(ACTOR_KINDS) - {"anonymous"}
OWNER_OR_MANAGERS = {"owner", "manager", "admin"}
MANAGERS = {"manager", "admin"}


@pytest.fixture
def space(venue):
    return make_space(venue)


@pytest.fixture
def owner(db):
    return make_user()


@pytest.fixture
def booking(space, owner):
    return Booking.objects.create(
        venue=space.venue,
        space=space,
        user=owner,
        created_by=owner,
        start_time=at(DAY, "09:00"),
        end_time=at(DAY, "10:00"),
        title="Standup",
        status=BookingStatus.PENDING,
    )


def _state():
    return (
        list(Booking.objects.values_list("id", "title", "status", "user_id")),
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
def test_anyone_signed_in_books_for_themselves(kind, space, owner):
    actor = make_actor(kind, space.venue.organization, owner)
    _check(
        kind,
        EVERYONE_SIGNED_IN,
        lambda: services.booking_create(
            actor=actor,
            space=space,
            start_time=at(DAY, "11:00"),
            end_time=at(DAY, "12:00"),
            title="Mine",
        ),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_venues_managers_book_for_someone_else(kind, space, owner):
    actor = make_actor(kind, space.venue.organization, owner)
    # The owner booking "for" themselves is an ordinary booking.
    _check(
        kind,
        MANAGERS | {"owner"},
        lambda: services.booking_create(
            actor=actor,
            space=space,
            start_time=at(DAY, "11:00"),
            end_time=at(DAY, "12:00"),
            title="For the owner",
            owner=owner,
        ),
    )


def test_an_unknown_owner_id_is_a_400_for_managers_only(space, manager):
    unknown = "00000000-0000-0000-0000-000000000000"
    kwargs = dict(
        space=space,
        start_time=at(DAY, "11:00"),
        end_time=at(DAY, "12:00"),
        title="For nobody",
        owner_id=unknown,
    )
    with pytest.raises(PermissionDenied):
        services.booking_create(actor=make_user(), **kwargs)
    with pytest.raises(InvalidInput) as raised:
        services.booking_create(actor=manager, **kwargs)
    assert raised.value.errors == {"user_id": ["No such user."]}


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_the_owner_and_the_venues_managers_change_a_booking(kind, booking, owner):
    actor = make_actor(kind, booking.venue.organization, owner)
    _check(
        kind,
        OWNER_OR_MANAGERS,
        lambda: services.booking_update(actor=actor, booking=booking, title="Moved"),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_the_owner_and_the_venues_managers_cancel_a_booking(kind, booking, owner):
    actor = make_actor(kind, booking.venue.organization, owner)
    _check(
        kind,
        OWNER_OR_MANAGERS,
        lambda: services.booking_cancel(actor=actor, booking=booking),
    )


@pytest.mark.parametrize("approve", [True, False])
@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_venues_managers_confirm_or_reject(kind, approve, booking, owner):
    actor = make_actor(kind, booking.venue.organization, owner)
    _check(
        kind,
        MANAGERS,
        lambda: services.booking_decide(actor=actor, booking=booking, approve=approve),
    )


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_venues_managers_import_bookings(kind, space, owner):
    actor = make_actor(kind, space.venue.organization, owner)
    row = BookingImportRow(
        space=space,
        user=owner,
        start_time=at(DAY, "13:00"),
        end_time=at(DAY, "14:00"),
        title="Imported",
    )
    _check(kind, MANAGERS, lambda: booking_import(actor=actor, rows=[row]))


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_only_the_venues_managers_hold_a_space_for_an_event(kind, space, owner):
    actor = make_actor(kind, space.venue.organization, owner)
    _check(
        kind,
        MANAGERS,
        lambda: services.booking_hold_create(
            actor=actor,
            space=space,
            start_time=at(DAY, "15:00"),
            end_time=at(DAY, "16:00"),
            title="Event: gala",
        ),
    )
