"""Every write endpoint of every domain against every kind of caller.

Callers: anonymous, a customer, the owner of the resource (the customer whose
booking, registration or token it is), a manager of the venue's organization,
a manager of another organization, an administrator. A refusal is a
problem+json with the expected type and changes nothing; a success changes
something. The services decide (see `tests/<domain>/test_services.py`); this
shows that every route reaches them and answers the same way. A write route
missing here fails `test_the_matrix_covers_every_write_route`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver

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
from venueos.accounts.models import ApiToken, Organization, Role, User
from venueos.accounts.services import token_create
from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking, BookingSeries, BookingStatus
from venueos.calendars.models import CalendarFeed
from venueos.events.models import (
    CheckIn,
    Event,
    EventStatus,
    Registration,
    WaitlistEntry,
)
from venueos.venues.models import Closure, Gate, OpeningHours, Space, Venue

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ACTORS = ["anonymous", "customer", "owner", "manager", "other_manager", "admin"]
DAY = future_day(40)
_unique = itertools.count(1)


@dataclass
class World:
    organization: Organization
    venue: Venue
    space: Space
    closure: Closure
    owner: User
    booking: Booking
    event: Event
    registration: Registration
    token: ApiToken
    # A sold-out event with the owner on its waiting list.
    gala: Event | None = None
    entry: WaitlistEntry | None = None


@dataclass
class Endpoint:
    method: str
    url: Callable[[World], str]
    body: Callable[[World], Any]
    # actor -> status; actors not named get `others`.
    expected: dict[str, int]
    others: int
    # Problem types of this endpoint's refusals, where not PROBLEM_TYPES'.
    problem_types: dict[int, str] | None = None


def _world() -> World:
    organization = make_organization()
    venue = make_venue(organization)
    space = make_space(venue)
    owner = make_user(Role.CUSTOMER)
    booking = Booking.objects.create(
        venue=venue,
        space=space,
        user=owner,
        created_by=owner,
        start_time=at(DAY, "09:00"),
        end_time=at(DAY, "10:00"),
        title="Owner's meeting",
        status=BookingStatus.PENDING,
    )
    # Doors open (check-in), registrations still on sale and cancellable.
    event = make_event(
        venue, status=EventStatus.ON_SALE, starts_in=timedelta(minutes=30)
    )
    registration = Registration.objects.create(event=event, attendee=owner)
    Event.objects.filter(pk=event.pk).update(tickets_sold=1)
    gala = make_event(venue, status=EventStatus.ON_SALE, capacity=1)
    Registration.objects.create(event=gala, attendee=make_user(Role.CUSTOMER))
    Event.objects.filter(pk=gala.pk).update(tickets_sold=1)
    entry = WaitlistEntry.objects.create(event=gala, attendee=owner, seq=next(_unique))
    token, _ = token_create(email=owner.email, password=PASSWORD, name="owner's")
    closure = Closure.objects.create(
        venue=venue,
        start_time="2030-01-01T00:00:00Z",
        end_time="2030-01-02T00:00:00Z",
        reason="maintenance",
    )
    return World(
        organization,
        venue,
        space,
        closure,
        owner,
        booking,
        event,
        registration,
        token,
        gala,
        entry,
    )


def _everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS[1:], status) | {"anonymous": status}


def _admins(status: int) -> dict[str, int]:
    return {"anonymous": 401, "admin": status}


def _managers(status: int) -> dict[str, int]:
    return {"anonymous": 401, "manager": status, "admin": status}


def _owner_or_managers(status: int) -> dict[str, int]:
    # Strangers do not see the resource at all.
    return {
        "anonymous": 401,
        "customer": 404,
        "other_manager": 404,
        "owner": status,
        "manager": status,
        "admin": status,
    }


def _booking_body(world: World, **extra) -> dict:
    hour = 10 + next(_unique) % 8
    return {
        "space_id": str(world.space.id),
        "start_time": iso(at(DAY, f"{hour}:00")),
        "end_time": iso(at(DAY, f"{hour}:30")),
        "title": "Matrix booking",
    } | extra


def _owners_series(world: World) -> BookingSeries:
    """A weekly series of the owner's, two occurrences after the world's booking."""
    series = BookingSeries.objects.create(
        venue=world.venue,
        space=world.space,
        user=world.owner,
        created_by=world.owner,
        title="Owner's series",
        recurrence={"freq": "weekly", "interval": 1, "count": 2},
        timezone=world.venue.timezone,
    )
    for week in (1, 2):
        day = DAY + timedelta(weeks=week)
        Booking.objects.create(
            venue=world.venue,
            space=world.space,
            user=world.owner,
            created_by=world.owner,
            start_time=at(day, "09:00"),
            end_time=at(day, "10:00"),
            title="Owner's series",
            series=series,
        )
    return series


def _archived_space(world: World) -> Space:
    venue = make_venue(world.organization)
    space = make_space(venue)
    Venue.objects.filter(pk=venue.pk).update(archived_at="2030-01-01T00:00:00Z")
    return space


def _event_body(world: World) -> dict:
    start = at(DAY + timedelta(days=5), "18:00")
    return {
        "venue_id": str(world.venue.id),
        "name": f"Matrix event {next(_unique)}",
        "start_at": iso(start),
        "end_at": iso(start + timedelta(hours=2)),
        "capacity": 20,
    }


ENDPOINTS: dict[str, Endpoint] = {
    # accounts
    "POST /auth/register/": Endpoint(
        "post",
        lambda w: "/api/v1/auth/register/",
        lambda w: {
            "email": f"new-{next(_unique)}@example.com",
            "password": "plum-orchard-velvet-42",
            "full_name": "New Customer",
        },
        _everyone(201),
        201,
    ),
    "POST /auth/tokens/": Endpoint(
        "post",
        lambda w: "/api/v1/auth/tokens/",
        lambda w: {"email": w.owner.email, "password": PASSWORD},
        _everyone(201),
        201,
    ),
    "DELETE /auth/tokens/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/auth/tokens/{w.token.id}/",
        lambda w: None,
        {"anonymous": 401, "owner": 204},
        404,
    ),
    "POST /organizations/": Endpoint(
        "post",
        lambda w: "/api/v1/organizations/",
        lambda w: {"name": f"New Org {next(_unique)}"},
        _admins(201),
        403,
    ),
    "POST /users/": Endpoint(
        "post",
        lambda w: "/api/v1/users/",
        lambda w: {
            "email": f"made-{next(_unique)}@example.com",
            "password": "plum-orchard-velvet-42",
            "full_name": "Made User",
            "role": "manager",
            "organization_id": str(w.organization.id),
        },
        _admins(201),
        403,
    ),
    # venues
    "POST /venues/": Endpoint(
        "post",
        lambda w: "/api/v1/venues/",
        lambda w: {
            "organization_id": str(w.organization.id),
            "name": f"Annex {next(_unique)}",
            "timezone": "Europe/Berlin",
            "max_capacity": 100,
        },
        _managers(201),
        403,
    ),
    "PATCH /venues/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/venues/{w.venue.id}/",
        lambda w: {"name": "Renamed Venue"},
        _managers(200),
        403,
    ),
    "DELETE /venues/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/venues/{w.venue.id}/",
        lambda w: None,
        _managers(204),
        403,
    ),
    "POST /spaces/": Endpoint(
        "post",
        lambda w: "/api/v1/spaces/",
        lambda w: {
            "venue_id": str(w.venue.id),
            "parent_id": str(w.space.id),
            "name": "Annex Room",
            "capacity": 10,
        },
        _managers(201),
        403,
    ),
    "PATCH /spaces/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/spaces/{w.space.id}/",
        lambda w: {"name": "Renamed Space", "capacity": 7},
        _managers(200),
        403,
    ),
    "DELETE /spaces/{id}/": Endpoint(
        "delete",
        # A space without bookings: the world's own space has one.
        lambda w: f"/api/v1/spaces/{make_space(w.venue).id}/",
        lambda w: None,
        _managers(204),
        403,
    ),
    # A space of an archived venue is its managers' to see: 404 for others,
    # as on GET (tests/security/test_existence_oracle.py).
    "PATCH /spaces/{id}/ of an archived venue": Endpoint(
        "patch",
        lambda w: f"/api/v1/spaces/{_archived_space(w).id}/",
        lambda w: {"name": "Renamed Space", "capacity": 7},
        _managers(200),
        404,
    ),
    "DELETE /spaces/{id}/ of an archived venue": Endpoint(
        "delete",
        lambda w: f"/api/v1/spaces/{_archived_space(w).id}/",
        lambda w: None,
        _managers(204),
        404,
    ),
    "PUT /venues/{id}/opening-hours/": Endpoint(
        "put",
        lambda w: f"/api/v1/venues/{w.venue.id}/opening-hours/",
        lambda w: [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
        _managers(200),
        403,
    ),
    "POST /venues/{id}/closures/": Endpoint(
        "post",
        lambda w: f"/api/v1/venues/{w.venue.id}/closures/",
        lambda w: {
            "start_time": "2031-05-01T00:00:00+02:00",
            "end_time": "2031-05-02T00:00:00+02:00",
            "reason": "Labour day",
        },
        _managers(201),
        403,
    ),
    "DELETE /closures/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/closures/{w.closure.id}/",
        lambda w: None,
        # Only the venue's managers see closures: for anyone else one is as
        # missing as an unknown id (tests/security/test_existence_oracle.py).
        _managers(204),
        404,
    ),
    # bookings
    "POST /bookings/": Endpoint(
        "post",
        lambda w: "/api/v1/bookings/",
        _booking_body,
        {"anonymous": 401},
        201,
    ),
    "POST /bookings/ for someone else": Endpoint(
        "post",
        lambda w: "/api/v1/bookings/",
        lambda w: _booking_body(w, user_id=str(w.owner.id)),
        # The owner booking "for" themselves is an ordinary booking.
        {"anonymous": 401, "owner": 201, "manager": 201, "admin": 201},
        403,
    ),
    "PATCH /bookings/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/bookings/{w.booking.id}/",
        lambda w: {"title": "Renamed meeting"},
        _owner_or_managers(200),
        403,
    ),
    "DELETE /bookings/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/bookings/{w.booking.id}/",
        lambda w: None,
        _owner_or_managers(204),
        403,
    ),
    "POST /bookings/{id}/confirm/": Endpoint(
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.id}/confirm/",
        lambda w: {},
        _owner_or_managers(200) | {"owner": 403},
        403,
    ),
    "POST /bookings/{id}/reject/": Endpoint(
        "post",
        lambda w: f"/api/v1/bookings/{w.booking.id}/reject/",
        lambda w: {"reason": "No"},
        _owner_or_managers(200) | {"owner": 403},
        403,
    ),
    "POST /bookings/series/": Endpoint(
        "post",
        lambda w: "/api/v1/bookings/series/",
        lambda w: _booking_body(w, recurrence={"freq": "weekly", "count": 2}),
        {"anonymous": 401},
        201,
    ),
    "POST /bookings/series/ for someone else": Endpoint(
        "post",
        lambda w: "/api/v1/bookings/series/",
        lambda w: _booking_body(
            w, user_id=str(w.owner.id), recurrence={"freq": "weekly", "count": 2}
        ),
        {"anonymous": 401, "owner": 201, "manager": 201, "admin": 201},
        403,
    ),
    "DELETE /bookings/series/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/bookings/series/{_owners_series(w).id}/",
        lambda w: None,
        _owner_or_managers(204),
        403,
    ),
    "POST /me/calendar/rotate/": Endpoint(
        "post",
        lambda w: "/api/v1/me/calendar/rotate/",
        lambda w: {},
        {"anonymous": 401},
        200,
    ),
    # events and registrations
    "POST /events/": Endpoint(
        "post", lambda w: "/api/v1/events/", _event_body, _managers(201), 403
    ),
    "PATCH /events/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/events/{w.event.id}/",
        lambda w: {"name": "Renamed event"},
        _managers(200),
        403,
    ),
    "POST /events/{id}/transition/": Endpoint(
        "post",
        lambda w: f"/api/v1/events/{w.event.id}/transition/",
        lambda w: {"status": "paused"},
        _managers(200),
        403,
    ),
    "POST /events/{id}/registrations/": Endpoint(
        "post",
        lambda w: f"/api/v1/events/{w.event.id}/registrations/",
        lambda w: {"quantity": 1},
        # The owner is registered already: allowed, and refused as a duplicate.
        {"anonymous": 401, "owner": 409},
        201,
    ),
    "DELETE /registrations/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/registrations/{w.registration.id}/",
        lambda w: None,
        _owner_or_managers(204),
        403,
    ),
    # event day: gates, waiting lists, check-in
    "POST /venues/{id}/gates/": Endpoint(
        "post",
        lambda w: f"/api/v1/venues/{w.venue.id}/gates/",
        lambda w: {"name": f"Gate {next(_unique)}"},
        _managers(201),
        403,
    ),
    "POST /events/{id}/waitlist/": Endpoint(
        "post",
        lambda w: f"/api/v1/events/{w.gala.id}/waitlist/",
        lambda w: {"quantity": 1},
        # Anyone signed in may wait; the owner already does.
        {"anonymous": 401, "owner": 409},
        201,
        problem_types={409: "already-waiting"},
    ),
    "DELETE /waitlist/{id}/": Endpoint(
        "delete",
        lambda w: f"/api/v1/waitlist/{w.entry.id}/",
        lambda w: None,
        # Managers see the entry but only the person waiting leaves.
        {"anonymous": 401, "customer": 404, "other_manager": 404, "owner": 204},
        403,
    ),
    "POST /events/{id}/check-ins/": Endpoint(
        "post",
        lambda w: f"/api/v1/events/{w.event.id}/check-ins/",
        lambda w: {"code": w.registration.code},
        _managers(201),
        403,
    ),
}

PROBLEM_TYPES = {
    401: "not-authenticated",
    403: "permission-denied",
    404: "not-found",
    409: "already-registered",
}


def _actor(name: str, world: World) -> User | None:
    if name == "anonymous":
        return None
    if name == "owner":
        return world.owner
    if name == "customer":
        return make_user(Role.CUSTOMER)
    if name == "other_manager":
        return make_user(Role.MANAGER, organization=make_organization())
    if name == "manager":
        return make_user(Role.MANAGER, organization=world.organization)
    return make_user(Role.ADMIN)


def _fingerprint(world: World) -> tuple:
    """Everything any of these endpoints could change."""
    return (
        list(Organization.objects.values_list("id").order_by("id")),
        list(User.objects.values_list("id").order_by("id")),
        list(ApiToken.objects.values_list("id", "revoked_at").order_by("id")),
        list(Venue.objects.values_list("id", "name", "archived_at").order_by("id")),
        list(Space.objects.values_list("id", "name", "capacity").order_by("id")),
        list(OpeningHours.objects.values_list("weekday", "opens_minute")),
        list(Closure.objects.values_list("id").order_by("id")),
        list(Booking.objects.values_list("id", "title", "status").order_by("id")),
        list(Event.objects.values_list("id", "name", "status").order_by("id")),
        list(Registration.objects.values_list("id", "status").order_by("id")),
        list(WaitlistEntry.objects.values_list("id", "status").order_by("id")),
        Gate.objects.count(),
        CheckIn.objects.count(),
        AuditEntry.objects.count(),
        list(CalendarFeed.objects.values_list("secret_hash").order_by("id")),
    )


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
def test_write_endpoint_permissions(endpoint_name, actor):
    endpoint = ENDPOINTS[endpoint_name]
    world = _world()
    client = client_for(_actor(actor, world))
    url = endpoint.url(world)
    body = endpoint.body(world)
    before = _fingerprint(world)

    response = getattr(client, endpoint.method)(
        url, body, format="json" if body is not None else None
    )

    expected = endpoint.expected.get(actor, endpoint.others)
    assert response.status_code == expected, (endpoint_name, actor, response.content)
    if expected >= 400:
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        problem_type = (endpoint.problem_types or {}).get(
            expected, PROBLEM_TYPES[expected]
        )
        assert problem["type"] == f"https://venueos.dev/problems/{problem_type}"
        assert problem["status"] == expected
        assert problem["title"] and problem["detail"]
        assert _fingerprint(world) == before, "a refused request changed data"
    else:
        assert _fingerprint(world) != before, "a successful write changed nothing"


def _write_routes(patterns, prefix: str = "") -> set[str]:
    routes = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= _write_routes(pattern.url_patterns, route)
            continue
        assert isinstance(pattern, URLPattern)
        view = getattr(pattern.callback, "view_class", None)
        for method in ("post", "put", "patch", "delete"):
            if view is not None and hasattr(view, method):
                path = "/" + route
                for part in path.split("/"):
                    if part.startswith("<"):
                        path = path.replace(part, "{id}")
                routes.add(f"{method.upper()} {path}")
    return routes


def test_the_matrix_covers_every_write_route():
    """A new write endpoint must be added to the matrix above."""
    from venueos.urls import api_v1

    covered = {" ".join(name.split()[:2]) for name in ENDPOINTS}
    assert _write_routes(api_v1) == covered


@pytest.mark.parametrize(
    "url, body",
    [
        # No organization named, and a customer has none: still a 403.
        ("/api/v1/venues/", {"name": "Mine", "timezone": "UTC", "max_capacity": 5}),
        (
            "/api/v1/users/",
            {
                "email": "x@example.com",
                "password": "p",
                "full_name": "X",
                "role": "admin",
                "organization_id": "00000000-0000-0000-0000-000000000000",
            },
        ),
    ],
)
def test_permission_comes_before_validation(url, body):
    response = client_for(make_user(Role.CUSTOMER)).post(url, body, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["type"].endswith("/permission-denied")


def test_an_unknown_space_of_a_new_event_is_checked_after_the_permission(venue):
    body = _event_body(
        World(venue.organization, venue, None, None, None, None, None, None, None)
    ) | {"space_id": "00000000-0000-0000-0000-000000000000"}
    customer = client_for(make_user(Role.CUSTOMER))
    assert customer.post("/api/v1/events/", body, format="json").status_code == 403
    manager = client_for(make_user(Role.MANAGER, organization=venue.organization))
    response = manager.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-space")
