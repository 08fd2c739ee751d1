"""Demo data (`venueos demo`, and `make run` on first start).

Idempotent: everything is created in one transaction through the services, and
only when the demo organization (slug `demo`) does not exist yet. The demo
passwords are documented in the README and pass Django's password validators.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from venueos.accounts import services as accounts
from venueos.accounts.models import Organization, Role, User
from venueos.venues import services as venues
from venueos.venues.models import Space, Venue

DEMO_ORGANIZATION_SLUG = "demo"

ADMIN_EMAIL = "admin@demo.venueos.dev"
MANAGER_EMAIL = "manager@demo.venueos.dev"
CUSTOMER_EMAIL = "customer@demo.venueos.dev"

# (role, e-mail, password): printed by `make run` and `venueos demo`.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", ADMIN_EMAIL, "venueos-admin-2026"),
    ("manager", MANAGER_EMAIL, "venueos-manager-2026"),
    ("customer", CUSTOMER_EMAIL, "venueos-customer-2026"),
]

_PASSWORDS = {email: password for _, email, password in DEMO_LOGINS}

MONDAY_TO_FRIDAY = range(0, 5)
SATURDAY = 5
EVERY_DAY = range(0, 7)


def demo_present() -> bool:
    return Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).exists()


def load_demo() -> bool:
    """Create the demo organization, venues and accounts; False if already there."""
    with transaction.atomic():
        if demo_present():
            return False
        admin = accounts.user_create(
            actor=None,  # the operator: the first administrator
            email=ADMIN_EMAIL,
            password=_PASSWORDS[ADMIN_EMAIL],
            full_name="Ada Admin",
            role=Role.ADMIN,
        )
        organization = accounts.organization_create(
            name="Demo Venues", slug=DEMO_ORGANIZATION_SLUG, actor=admin
        )
        accounts.user_create(
            email=MANAGER_EMAIL,
            password=_PASSWORDS[MANAGER_EMAIL],
            full_name="Max Manager",
            role=Role.MANAGER,
            organization=organization,
            actor=admin,
        )
        accounts.user_create(
            email=CUSTOMER_EMAIL,
            password=_PASSWORDS[CUSTOMER_EMAIL],
            full_name="Chris Customer",
            actor=admin,
        )
        _berlin(organization, admin)
        _new_york(organization, admin)
    return True


def _space(venue: Venue, actor: User, name: str, capacity: int, **fields) -> Space:
    return venues.space_create(
        venue=venue, actor=actor, name=name, capacity=capacity, **fields
    )


def _berlin(organization: Organization, admin: User) -> Venue:
    venue = venues.venue_create(
        organization=organization,
        actor=admin,
        name="Berlin Conference Center",
        slug="berlin-conference-center",
        timezone="Europe/Berlin",
        address={
            "street": "Friedrichstraße 100",
            "postcode": "10117",
            "city": "Berlin",
            "country": "DE",
        },
        max_capacity=600,
    )
    building = _space(venue, admin, "Building", 400, is_bookable=False)
    floor_1 = _space(venue, admin, "Floor 1", 120, parent=building)
    for number, capacity in (("101", 12), ("102", 20), ("103", 40)):
        _space(
            venue,
            admin,
            f"Room {number}",
            capacity,
            parent=floor_1,
            features=["projector", "whiteboard"] if number != "101" else ["screen"],
        )
    floor_2 = _space(venue, admin, "Floor 2", 80, parent=building)
    _space(
        venue,
        admin,
        "Room 201",
        30,
        parent=floor_2,
        features=["projector", "wheelchair", "video-conferencing"],
    )
    hall = _space(
        venue,
        admin,
        "Great Hall",
        300,
        requires_approval=True,
        features=["stage", "projector", "wheelchair"],
    )
    _space(venue, admin, "Section A", 150, parent=hall, features=["wheelchair"])
    _space(venue, admin, "Section B", 150, parent=hall)
    weekdays = [(day, 8 * 60, 20 * 60) for day in MONDAY_TO_FRIDAY]
    venues.opening_hours_replace(
        venue=venue,
        actor=admin,
        intervals=[*weekdays, (SATURDAY, 10 * 60, 16 * 60)],
    )
    zone = ZoneInfo(venue.timezone)
    christmas_eve = _next_christmas_eve()
    venues.closure_create(
        venue=venue,
        actor=admin,
        start_time=datetime.combine(christmas_eve, time(0, 0), tzinfo=zone),
        end_time=datetime.combine(
            christmas_eve.replace(day=27), time(0, 0), tzinfo=zone
        ),
        reason="Christmas holidays",
    )
    return venue


def _new_york(organization: Organization, admin: User) -> Venue:
    venue = venues.venue_create(
        organization=organization,
        actor=admin,
        name="New York Loft",
        slug="new-york-loft",
        timezone="America/New_York",
        address={
            "street": "520 W 27th St",
            "city": "New York",
            "region": "NY",
            "postcode": "10001",
            "country": "US",
        },
        max_capacity=250,
        slot_minutes=30,
        min_duration_minutes=30,
    )
    loft = _space(
        venue, admin, "Loft Hall", 200, features=["projector", "sound-system"]
    )
    _space(venue, admin, "North Section", 100, parent=loft, features=["wheelchair"])
    _space(venue, admin, "South Section", 100, parent=loft)
    venues.opening_hours_replace(
        venue=venue,
        actor=admin,
        intervals=[(day, 7 * 60, 22 * 60) for day in EVERY_DAY],
    )
    return venue


def _next_christmas_eve() -> date:
    today = timezone.localdate()
    this_year = date(today.year, 12, 24)
    return this_year if this_year >= today else date(today.year + 1, 12, 24)
