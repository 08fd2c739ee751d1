"""Every write endpoint of accounts and venues against every kind of caller.

Anonymous callers get 401, signed-in callers without the right 403, both as
problem+json and without changing anything; the venue's own managers and
admins succeed (organizations and users are for admins only).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import (
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from venueos.accounts.models import Organization, Role, User
from venueos.audit.models import AuditEntry
from venueos.venues.models import Closure, OpeningHours, Space, Venue

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ACTORS = ["anonymous", "customer", "other_manager", "manager", "admin"]
_unique = itertools.count(1)


@dataclass
class World:
    organization: Organization
    venue: Venue
    space: Space
    closure: Closure


@dataclass
class Endpoint:
    method: str
    url: Callable[[World], str]
    body: Callable[[World], Any]
    success: int
    admin_only: bool = False


def _closure(venue: Venue) -> Closure:
    return Closure.objects.create(
        venue=venue,
        start_time="2030-01-01T00:00:00Z",
        end_time="2030-01-02T00:00:00Z",
        reason="maintenance",
    )


ENDPOINTS = {
    "POST /organizations/": Endpoint(
        "post",
        lambda w: "/api/v1/organizations/",
        lambda w: {"name": f"New Org {next(_unique)}"},
        201,
        admin_only=True,
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
        201,
        admin_only=True,
    ),
    "POST /venues/": Endpoint(
        "post",
        lambda w: "/api/v1/venues/",
        lambda w: {
            "organization_id": str(w.organization.id),
            "name": f"Annex {next(_unique)}",
            "timezone": "Europe/Berlin",
            "max_capacity": 100,
        },
        201,
    ),
    "PATCH /venues/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/venues/{w.venue.id}/",
        lambda w: {"name": "Renamed Venue"},
        200,
    ),
    "DELETE /venues/{id}/": Endpoint(
        "delete", lambda w: f"/api/v1/venues/{w.venue.id}/", lambda w: None, 204
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
        201,
    ),
    "PATCH /spaces/{id}/": Endpoint(
        "patch",
        lambda w: f"/api/v1/spaces/{w.space.id}/",
        lambda w: {"name": "Renamed Space", "capacity": 7},
        200,
    ),
    "DELETE /spaces/{id}/": Endpoint(
        "delete", lambda w: f"/api/v1/spaces/{w.space.id}/", lambda w: None, 204
    ),
    "PUT /venues/{id}/opening-hours/": Endpoint(
        "put",
        lambda w: f"/api/v1/venues/{w.venue.id}/opening-hours/",
        lambda w: [{"weekday": 0, "opens": "09:00", "closes": "17:00"}],
        200,
    ),
    "POST /venues/{id}/closures/": Endpoint(
        "post",
        lambda w: f"/api/v1/venues/{w.venue.id}/closures/",
        lambda w: {
            "start_time": "2031-05-01T00:00:00+02:00",
            "end_time": "2031-05-02T00:00:00+02:00",
            "reason": "Labour day",
        },
        201,
    ),
    "DELETE /closures/{id}/": Endpoint(
        "delete", lambda w: f"/api/v1/closures/{w.closure.id}/", lambda w: None, 204
    ),
}


def _expected_status(endpoint: Endpoint, actor: str) -> int:
    if actor == "anonymous":
        return 401
    if actor == "admin":
        return endpoint.success
    if actor == "manager" and not endpoint.admin_only:
        return endpoint.success
    return 403


def _actor(name: str, organization: Organization) -> User | None:
    if name == "anonymous":
        return None
    if name == "customer":
        return make_user(Role.CUSTOMER)
    if name == "other_manager":
        return make_user(Role.MANAGER, organization=make_organization())
    if name == "manager":
        return make_user(Role.MANAGER, organization=organization)
    return make_user(Role.ADMIN)


def _fingerprint(world: World) -> tuple:
    """Everything any of these endpoints could change."""
    venue = Venue.objects.get(pk=world.venue.pk)
    space = Space.objects.filter(pk=world.space.pk).first()
    return (
        Organization.objects.count(),
        User.objects.count(),
        Venue.objects.count(),
        venue.name,
        venue.archived_at,
        Space.objects.count(),
        (space.name, space.capacity) if space else None,
        list(OpeningHours.objects.values_list("weekday", "opens_minute")),
        Closure.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint_name", list(ENDPOINTS))
def test_write_endpoint_permissions(endpoint_name, actor):
    endpoint = ENDPOINTS[endpoint_name]
    organization = make_organization()
    venue = make_venue(organization)
    world = World(organization, venue, make_space(venue), _closure(venue))
    user = _actor(actor, organization)
    client = client_for(user)
    before = _fingerprint(world)

    body = endpoint.body(world)
    response = getattr(client, endpoint.method)(
        endpoint.url(world), body, format="json" if body is not None else None
    )

    expected = _expected_status(endpoint, actor)
    assert response.status_code == expected, (endpoint_name, actor, response.content)
    if expected >= 400:
        assert response["Content-Type"] == PROBLEM
        problem = response.json()
        slug = "not-authenticated" if expected == 401 else "permission-denied"
        assert problem["type"] == f"https://venueos.dev/problems/{slug}"
        assert problem["status"] == expected
        assert problem["title"] and problem["detail"]
        assert _fingerprint(world) == before, "a refused request changed data"
    else:
        assert _fingerprint(world) != before, "a successful write changed nothing"


def test_matrix_covers_every_write_route_of_accounts_and_venues():
    """A new write endpoint must be added to the matrix above."""
    from venueos.accounts import urls as account_urls
    from venueos.venues import urls as venue_urls

    routes = set()
    for pattern in [*account_urls.urlpatterns, *venue_urls.urlpatterns]:
        route = "/" + str(pattern.pattern)
        for name in ("venue_id", "space_id", "closure_id", "token_id"):
            route = route.replace(f"<uuid:{name}>", "{id}")
        if route.startswith("/auth/"):
            continue  # sign-up and own tokens: open to anyone, tested in accounts
        view = pattern.callback.view_class
        for method in ("post", "put", "patch", "delete"):
            if hasattr(view, method):
                routes.add(f"{method.upper()} {route}")
    assert routes == set(ENDPOINTS)
