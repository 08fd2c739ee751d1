"""Finding 9: an object the caller may not see must answer exactly like one
that does not exist. Spaces of an archived venue were 404 on GET but 403 on
PATCH and DELETE; a closure's DELETE was 403 for a real id and 404 for an
unknown one. This sweeps every write route that names an object (in its path
or its body) with a real object of another organization the caller may not
see, and with an id that names nothing: anonymous callers, customers and
managers of another organization must get the same status and problem type
for both, so no answer tells them that the object exists.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    PASSWORD,
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from tests.events.helpers import make_event
from venueos.accounts.models import Role
from venueos.accounts.services import token_create
from venueos.bookings.models import Booking, BookingSeries
from venueos.events.models import EventStatus, Registration, WaitlistEntry
from venueos.venues.models import Closure, Gate

pytestmark = pytest.mark.django_db

DAY = future_day(50)
CALLERS = ["anonymous", "customer", "other_manager"]
_unique = itertools.count(1)


@dataclass
class Hidden:
    """Objects of organization A none of the callers may see."""

    archived_venue: Any
    archived_space: Any
    closure: Any
    booking: Any
    series: Any
    draft: Any
    registration: Any
    entry: Any
    token: Any
    gate: Any
    # The caller's own things, to name hidden objects in a body.
    own_venue: Any = None
    own_event: Any = None
    own_booking: Any = None


def _hidden() -> Hidden:
    organization = make_organization()
    venue = make_venue(organization)
    space = make_space(venue)
    archived = make_venue(organization)
    archived_space = make_space(archived)
    archived.archived_at = timezone.now()
    archived.save()
    stranger = make_user()
    booking = Booking.objects.create(
        venue=venue,
        space=space,
        user=stranger,
        created_by=stranger,
        start_time=at(DAY, "09:00"),
        end_time=at(DAY, "10:00"),
        title="Private",
    )
    series = BookingSeries.objects.create(
        venue=venue,
        space=space,
        user=stranger,
        created_by=stranger,
        title="Private series",
        recurrence={"freq": "weekly", "count": 1},
        timezone=venue.timezone,
    )
    draft = make_event(venue, status=EventStatus.DRAFT)
    published = make_event(venue, status=EventStatus.ON_SALE)
    registration = Registration.objects.create(event=published, attendee=stranger)
    entry = WaitlistEntry.objects.create(
        event=published, attendee=stranger, seq=next(_unique)
    )
    token, _ = token_create(email=stranger.email, password=PASSWORD)
    closure = Closure.objects.create(
        venue=venue,
        start_time=at(DAY, "00:00"),
        end_time=at(DAY, "06:00"),
        reason="maintenance",
    )
    gate = Gate.objects.create(venue=venue, name="North")
    return Hidden(
        archived,
        archived_space,
        closure,
        booking,
        series,
        draft,
        registration,
        entry,
        token,
        gate,
    )


def _caller(kind: str, hidden: Hidden):
    if kind == "anonymous":
        return None
    if kind == "customer":
        user = make_user()
    else:
        organization = make_organization()
        user = make_user(Role.MANAGER, organization)
        hidden.own_venue = make_venue(organization)
        make_space(hidden.own_venue)
        hidden.own_event = make_event(
            hidden.own_venue,
            status=EventStatus.ON_SALE,
            starts_in=timedelta(minutes=30),
        )
    own_space = make_space(make_venue(make_organization()))
    hidden.own_booking = Booking.objects.create(
        venue=own_space.venue,
        space=own_space,
        user=user,
        created_by=user,
        start_time=at(DAY, "11:00"),
        end_time=at(DAY, "12:00"),
        title="Mine",
    )
    return user


@dataclass
class Case:
    method: str
    # (url, body) for a hidden object's id, given the id to use.
    request: Callable[[Hidden, Any], tuple[str, Any]]
    hidden_id: Callable[[Hidden], Any]
    callers: tuple[str, ...] = tuple(CALLERS)


def _booking_body(space_id, **extra) -> dict:
    start = at(DAY, "14:00")
    return {
        "space_id": str(space_id),
        "start_time": iso(start),
        "end_time": iso(start + timedelta(hours=1)),
        "title": "Probe",
    } | extra


CASES: dict[str, Case] = {
    "PATCH /venues/{id}/": Case(
        "patch",
        lambda h, i: (f"/api/v1/venues/{i}/", {"name": "X"}),
        lambda h: h.archived_venue.id,
    ),
    "DELETE /venues/{id}/": Case(
        "delete",
        lambda h, i: (f"/api/v1/venues/{i}/", None),
        lambda h: h.archived_venue.id,
    ),
    "POST /spaces/ (venue_id)": Case(
        "post",
        lambda h, i: (
            "/api/v1/spaces/",
            {"venue_id": str(i), "name": "X", "capacity": 1},
        ),
        lambda h: h.archived_venue.id,
    ),
    "POST /spaces/ (parent_id)": Case(
        "post",
        lambda h, i: (
            "/api/v1/spaces/",
            {
                "venue_id": str(h.own_venue.id),
                "parent_id": str(i),
                "name": "X",
                "capacity": 1,
            },
        ),
        lambda h: h.archived_space.id,
        callers=("other_manager",),
    ),
    "PATCH /spaces/{id}/": Case(
        "patch",
        lambda h, i: (f"/api/v1/spaces/{i}/", {"name": "X"}),
        lambda h: h.archived_space.id,
    ),
    "DELETE /spaces/{id}/": Case(
        "delete",
        lambda h, i: (f"/api/v1/spaces/{i}/", None),
        lambda h: h.archived_space.id,
    ),
    "PUT /venues/{id}/opening-hours/": Case(
        "put",
        lambda h, i: (
            f"/api/v1/venues/{i}/opening-hours/",
            [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
        ),
        lambda h: h.archived_venue.id,
    ),
    "POST /venues/{id}/closures/": Case(
        "post",
        lambda h, i: (
            f"/api/v1/venues/{i}/closures/",
            {"start_time": iso(at(DAY, "00:00")), "end_time": iso(at(DAY, "01:00"))},
        ),
        lambda h: h.archived_venue.id,
    ),
    "DELETE /closures/{id}/": Case(
        "delete", lambda h, i: (f"/api/v1/closures/{i}/", None), lambda h: h.closure.id
    ),
    "POST /venues/{id}/gates/": Case(
        "post",
        lambda h, i: (f"/api/v1/venues/{i}/gates/", {"name": "G"}),
        lambda h: h.archived_venue.id,
    ),
    "POST /bookings/ (space_id)": Case(
        "post",
        lambda h, i: ("/api/v1/bookings/", _booking_body(i)),
        lambda h: h.archived_space.id,
    ),
    "POST /bookings/series/ (space_id)": Case(
        "post",
        lambda h, i: (
            "/api/v1/bookings/series/",
            _booking_body(i, recurrence={"freq": "weekly", "count": 2}),
        ),
        lambda h: h.archived_space.id,
    ),
    "PATCH /bookings/{id}/": Case(
        "patch",
        lambda h, i: (f"/api/v1/bookings/{i}/", {"title": "X"}),
        lambda h: h.booking.id,
    ),
    "PATCH /bookings/{id}/ (space_id)": Case(
        "patch",
        lambda h, i: (f"/api/v1/bookings/{h.own_booking.id}/", {"space_id": str(i)}),
        lambda h: h.archived_space.id,
        callers=("customer", "other_manager"),
    ),
    "DELETE /bookings/{id}/": Case(
        "delete", lambda h, i: (f"/api/v1/bookings/{i}/", None), lambda h: h.booking.id
    ),
    "POST /bookings/{id}/confirm/": Case(
        "post",
        lambda h, i: (f"/api/v1/bookings/{i}/confirm/", {}),
        lambda h: h.booking.id,
    ),
    "POST /bookings/{id}/reject/": Case(
        "post",
        lambda h, i: (f"/api/v1/bookings/{i}/reject/", {}),
        lambda h: h.booking.id,
    ),
    "DELETE /bookings/series/{id}/": Case(
        "delete",
        lambda h, i: (f"/api/v1/bookings/series/{i}/", None),
        lambda h: h.series.id,
    ),
    "DELETE /auth/tokens/{id}/": Case(
        "delete", lambda h, i: (f"/api/v1/auth/tokens/{i}/", None), lambda h: h.token.id
    ),
    "POST /events/ (venue_id)": Case(
        "post",
        lambda h, i: (
            "/api/v1/events/",
            {
                "venue_id": str(i),
                "name": "X",
                "start_at": iso(at(DAY, "18:00")),
                "end_at": iso(at(DAY, "20:00")),
                "capacity": 5,
            },
        ),
        lambda h: h.archived_venue.id,
    ),
    "PATCH /events/{id}/": Case(
        "patch",
        lambda h, i: (f"/api/v1/events/{i}/", {"name": "X"}),
        lambda h: h.draft.id,
    ),
    "POST /events/{id}/transition/": Case(
        "post",
        lambda h, i: (f"/api/v1/events/{i}/transition/", {"status": "published"}),
        lambda h: h.draft.id,
    ),
    "POST /events/{id}/registrations/": Case(
        "post",
        lambda h, i: (f"/api/v1/events/{i}/registrations/", {"quantity": 1}),
        lambda h: h.draft.id,
    ),
    "DELETE /registrations/{id}/": Case(
        "delete",
        lambda h, i: (f"/api/v1/registrations/{i}/", None),
        lambda h: h.registration.id,
    ),
    "POST /events/{id}/waitlist/": Case(
        "post",
        lambda h, i: (f"/api/v1/events/{i}/waitlist/", {"quantity": 1}),
        lambda h: h.draft.id,
    ),
    "DELETE /waitlist/{id}/": Case(
        "delete", lambda h, i: (f"/api/v1/waitlist/{i}/", None), lambda h: h.entry.id
    ),
    "POST /events/{id}/check-ins/": Case(
        "post",
        lambda h, i: (f"/api/v1/events/{i}/check-ins/", {"code": "ABCD"}),
        lambda h: h.draft.id,
    ),
    "POST /events/{id}/check-ins/ (gate_id)": Case(
        "post",
        lambda h, i: (
            f"/api/v1/events/{h.own_event.id}/check-ins/",
            {"code": "ABCD", "gate_id": str(i)},
        ),
        lambda h: h.gate.id,
        callers=("other_manager",),
    ),
}


def _answer(response) -> tuple[int, str | None, str | None]:
    """Status, problem type and detail: a detail such as "belongs to another
    venue" against "No such space" would tell as much as a status."""
    if response["Content-Type"] != "application/problem+json":
        return response.status_code, None, None
    problem = response.json()
    return response.status_code, problem["type"], problem["detail"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


@pytest.mark.parametrize(
    ("name", "caller"),
    # Only the callers who have something of their own to name the object from.
    [
        (name, caller)
        for name, case in CASES.items()
        for caller in CALLERS
        if caller in case.callers
    ],
)
def test_a_hidden_object_answers_like_a_missing_one(name, caller):
    case = CASES[name]
    hidden = _hidden()
    client = client_for(_caller(caller, hidden))

    answers = []
    for object_id in (case.hidden_id(hidden), uuid.uuid4()):
        url, body = case.request(hidden, object_id)
        response = getattr(client, case.method)(
            url, body, format="json" if body is not None else None
        )
        answers.append(_answer(response))

    real, missing = answers
    assert real == missing, (name, caller)
    assert real[0] in (400, 401, 404), (name, caller, real)


def test_every_write_route_with_an_id_is_swept():
    from tests.test_permission_matrix import ENDPOINTS

    with_ids = {" ".join(name.split()[:2]) for name in ENDPOINTS if "{id}" in name}
    swept = {" ".join(name.split()[:2]) for name in CASES}
    # The calendar and token rotation name no object but the caller's own.
    assert with_ids - swept == set()


def test_the_sites_manager_pages_hide_other_organizations_objects_too(client):
    """The site's pages for managers answer a hidden venue, space or closure
    like a missing one (the space page used to redirect to the space's real
    venue, naming it)."""
    hidden = _hidden()
    manager = make_user(Role.MANAGER, make_organization())
    own_venue = make_venue(manager.organization)
    client.force_login(manager)
    unknown = uuid.uuid4()
    pairs = [
        (f"/manage/venues/{hidden.archived_venue.id}/", f"/manage/venues/{unknown}/"),
        (
            f"/manage/venues/{own_venue.id}/spaces/{hidden.archived_space.id}/",
            f"/manage/venues/{own_venue.id}/spaces/{unknown}/",
        ),
        (
            f"/manage/venues/{own_venue.id}/spaces/{hidden.booking.space_id}/",
            f"/manage/venues/{own_venue.id}/spaces/{unknown}/",
        ),
        (f"/manage/events/{hidden.draft.id}/", f"/manage/events/{unknown}/"),
    ]
    for real, missing in pairs:
        assert client.get(real).status_code == client.get(missing).status_code == 404
    removal = f"/manage/venues/{own_venue.id}/closures/{hidden.closure.id}/remove/"
    assert client.post(removal).status_code == 404
    assert Closure.objects.filter(pk=hidden.closure.pk).exists()
