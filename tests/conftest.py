"""Shared fixtures: small factory functions so each test states only what matters."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from venueos.accounts.models import Organization, Role, User
from venueos.accounts.services import token_create
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
