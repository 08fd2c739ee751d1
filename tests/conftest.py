"""Shared fixtures: small factory functions so each test states only what matters."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from venueos.accounts.models import Organization, Role, User
from venueos.accounts.services import token_create
from venueos.common.problems import NotAuthenticated, PermissionDenied
from venueos.venues.models import OpeningHours, Space, Venue

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def make_organization(slug: str | None = None) -> Organization:
    n = next(_counter)
    slug = slug or f"org-{n}"
    return Organization.objects.create(name=slug.title(), slug=slug)


def make_user(
    role: str = Role.CUSTOMER, organization: Organization | None = None, **fields
) -> User:
    n = next(_counter)
    fields.setdefault("email", f"{role}-{n}@example.com")
    fields.setdefault("full_name", f"{role.title()} {n}")
    return User.objects.create_user(
        password=PASSWORD, role=role, organization=organization, **fields
    )


def make_venue(organization: Organization, **fields) -> Venue:
    n = next(_counter)
    fields.setdefault("name", f"Venue {n}")
    fields.setdefault("slug", f"venue-{n}")
    fields.setdefault("timezone", "Europe/Berlin")
    fields.setdefault("max_capacity", 500)
    fields.setdefault("booking_horizon_days", 3650)
    return Venue.objects.create(organization=organization, **fields)


def make_space(venue: Venue, parent: Space | None = None, **fields) -> Space:
    n = next(_counter)
    fields.setdefault("name", f"Space {n}")
    fields.setdefault("capacity", 50)
    return Space.objects.create(venue=venue, parent=parent, **fields)


def set_opening_hours(venue: Venue, opens: int, closes: int, weekdays=range(7)) -> None:
    OpeningHours.objects.bulk_create(
        OpeningHours(venue=venue, weekday=day, opens_minute=opens, closes_minute=closes)
        for day in weekdays
    )


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, raw = token_create(email=user.email, password=PASSWORD)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def org(db):
    return make_organization()


@pytest.fixture
def other_org(db):
    return make_organization()


@pytest.fixture
def admin(db):
    return make_user(Role.ADMIN)


@pytest.fixture
def manager(org):
    return make_user(Role.MANAGER, organization=org)


@pytest.fixture
def other_manager(other_org):
    return make_user(Role.MANAGER, organization=other_org)


@pytest.fixture
def customer(db):
    return make_user(Role.CUSTOMER)


@pytest.fixture
def venue(org):
    return make_venue(org)


@pytest.fixture
def anon_client():
    return APIClient()


ACTOR_KINDS = ("anonymous", "customer", "owner", "manager", "other_manager", "admin")


def make_actor(kind: str, organization: Organization, owner: User | None = None):
    """A caller of the given kind, as services see it: `owner` is the customer
    whose booking, registration or token is at stake; managers are of
    `organization` (or of another one)."""
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "owner":
        return owner or make_user(Role.CUSTOMER)
    if kind == "customer":
        return make_user(Role.CUSTOMER)
    if kind == "manager":
        return make_user(Role.MANAGER, organization=organization)
    if kind == "other_manager":
        return make_user(Role.MANAGER, organization=make_organization())
    assert kind == "admin", kind
    return make_user(Role.ADMIN)


def refusal_for(kind: str, allowed: set[str]):
    """The problem a service raises for `kind` when only `allowed` may act."""
    if kind in allowed:
        return None
    return NotAuthenticated if kind == "anonymous" else PermissionDenied
