"""Demo data (`venueos demo`, and `make run` on first start).

Idempotent: the organization, accounts and venues are created in one
transaction through the services, only when the demo organization (slug
`demo`) does not exist yet. Then, through the services as well (each booking
and sale is a transaction of its own), the activity that makes the pages
alive: bookings over the coming weeks, a booking waiting for approval, an event
on sale with registrations; only when the demo venues have no booking and no
event yet. The event-day part (`event_day`) runs every time and adds what is
missing: gates at the Berlin venue, an event *today* (doors open, tickets sold,
one already scanned) and a sold-out gala with a waiting list. The demo
passwords are documented in the README and pass Django's password validators.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from venueos.accounts import services as accounts
from venueos.accounts.models import Organization, Role, User
from venueos.bookings import services as bookings
from venueos.bookings.models import Booking
from venueos.events import checkin, waitlist
from venueos.events import services as events
from venueos.events.models import Event, EventStatus
from venueos.venues import gates
from venueos.venues import services as venues
from venueos.venues.models import Gate, Space, Venue

DEMO_ORGANIZATION_SLUG = "demo"

ADMIN_EMAIL = "admin@demo.venueos.dev"
MANAGER_EMAIL = "manager@demo.venueos.dev"
CUSTOMER_EMAIL = "customer@demo.venueos.dev"
# Other people whose bookings and tickets fill the demo (no login documented).
REGULARS = [
    ("Robin Regular", "robin@demo.venueos.dev"),
    ("Sam Speaker", "sam@demo.venueos.dev"),
    ("Kim Keen", "kim@demo.venueos.dev"),
]

# (role, e-mail, password): printed by `make run` and `venueos demo`.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", ADMIN_EMAIL, "venueos-admin-2026"),
    ("manager", MANAGER_EMAIL, "venueos-manager-2026"),
    ("customer", CUSTOMER_EMAIL, "venueos-customer-2026"),
]

_PASSWORDS = {email: password for _, email, password in DEMO_LOGINS}

# Ticket holders of the event-day demo (they need not sign in).
GUEST_PASSWORD = "venueos-guest-2026"
GUESTS = [
    ("gina.guest@demo.venueos.dev", "Gina Guest"),
    ("omar.okafor@demo.venueos.dev", "Omar Okafor"),
    ("lena.lindqvist@demo.venueos.dev", "Lena Lindqvist"),
    ("raj.rao@demo.venueos.dev", "Raj Rao"),
    ("sofia.silva@demo.venueos.dev", "Sofia Silva"),
]
GATE_NAMES = ["North gate", "South gate"]
GALA_SLUG = "sold-out-gala"

MONDAY_TO_FRIDAY = range(0, 5)
SATURDAY = 5
EVERY_DAY = range(0, 7)


def demo_present() -> bool:
    return Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).exists()


def load_demo() -> bool:
    """Create the demo organization, venues, accounts and their activity;
    False if the organization was already there."""
    created = _load_organization()
    _load_activity()
    event_day()
    return created


def _load_organization() -> bool:
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
        reason_public=True,
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


# (weekday offset from the first demo day, space, local start, hours, title,
#  attendees, who): a week of ordinary use, repeated for the coming weeks.
_WEEK = [
    (0, "Room 101", 9, 1, "Stand-up and planning", 6, "regular"),
    (0, "Room 102", 10, 2, "Design review", 8, "customer"),
    (0, "Room 201", 14, 1, "Interview", 3, "regular"),
    (1, "Room 103", 9, 3, "Onboarding workshop", 25, "speaker"),
    (1, "Room 101", 13, 1, "1:1", 2, "customer"),
    (1, "Floor 2", 16, 2, "Floor 2 open house", 60, "speaker"),
    (2, "Room 102", 11, 1, "Customer call", 4, "keen"),
    (2, "Section A", 10, 4, "Training day", 80, "speaker"),
    (3, "Room 101", 15, 2, "Retrospective", 8, "regular"),
    (3, "Room 201", 9, 2, "Board meeting", 12, "keen"),
    (4, "Room 103", 13, 3, "Hackathon demo", 30, "customer"),
]


def demo_days(zone: ZoneInfo, count: int) -> list[date]:
    """The next `count` weekdays after today, in the venue's zone."""
    day = timezone.now().astimezone(zone).date()
    days: list[date] = []
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _regular(full_name: str, email: str) -> User:
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    # They sign up like anyone; nobody signs in as them (a random password).
    return accounts.user_register(
        email=email, password=secrets.token_urlsafe(24), full_name=full_name
    )


def _load_activity() -> None:
    """Bookings, an approval waiting and an event on sale; once."""
    berlin = Venue.objects.filter(
        organization__slug=DEMO_ORGANIZATION_SLUG, slug="berlin-conference-center"
    ).first()
    if berlin is None:
        return
    venue_ids = Venue.objects.filter(
        organization__slug=DEMO_ORGANIZATION_SLUG
    ).values_list("id", flat=True)
    if (
        Booking.objects.filter(venue_id__in=venue_ids).exists()
        or Event.objects.filter(venue_id__in=venue_ids).exists()
    ):
        return
    regulars = [_regular(full_name, email) for full_name, email in REGULARS]
    people = {
        "customer": User.objects.get(email=CUSTOMER_EMAIL),
        "regular": regulars[0],
        "speaker": regulars[1],
        "keen": regulars[2],
    }
    manager = User.objects.get(email=MANAGER_EMAIL)
    spaces = {space.name: space for space in Space.objects.filter(venue=berlin)}
    for space in spaces.values():
        space.venue = berlin
    zone = ZoneInfo(berlin.timezone)
    days = demo_days(zone, 15)
    for week in range(3):
        for offset, name, hour, hours, title, attendees, who in _WEEK:
            day = days[week * 5 + offset]
            start = datetime.combine(day, time(hour), tzinfo=zone)
            bookings.booking_create(
                actor=people[who],
                space=spaces[name],
                start_time=start,
                end_time=start + timedelta(hours=hours),
                title=title,
                attendee_count=attendees,
            )
    # The Great Hall needs the venue's approval: this one waits for the manager.
    gala_day = datetime.combine(days[3], time(17), tzinfo=zone)
    bookings.booking_create(
        actor=people["customer"],
        space=spaces["Great Hall"],
        start_time=gala_day,
        end_time=gala_day + timedelta(hours=3),
        title="Company summer party planning",
        attendee_count=120,
        description="Needs the stage and the sound system.",
    )
    _demo_event(berlin, spaces["Section B"], manager, people, days[6], zone)


def _demo_event(venue, space, manager, people, day, zone) -> None:
    start = datetime.combine(day, time(18), tzinfo=zone)
    event = events.event_create(
        venue=venue,
        actor=manager,
        space=space,
        name="Tech Talks Berlin",
        slug="tech-talks-berlin",
        description="Three short talks on building software that keeps its "
        "promises, then drinks on the terrace.",
        start_at=start,
        end_at=start + timedelta(hours=2),
        capacity=80,
    )
    for status in (EventStatus.PUBLISHED, EventStatus.ON_SALE):
        event = events.event_transition(event=event, actor=manager, status=status)
    for who, quantity in (("regular", 2), ("speaker", 1), ("keen", 4)):
        events.registration_create(event=event, actor=people[who], quantity=quantity)


# --- event day ----------------------------------------------------------------


def event_day() -> None:
    """Gates, an event today with tickets to scan, a sold-out gala with a
    waiting list. Each piece is made through the services (their own
    transactions) and only when missing."""
    organization = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
    manager = User.objects.get(email=MANAGER_EMAIL)
    customer = User.objects.get(email=CUSTOMER_EMAIL)
    venue = Venue.objects.get(
        organization=organization, slug="berlin-conference-center"
    )
    admin = User.objects.get(email=ADMIN_EMAIL)
    guests = [_guest(admin, email, name) for email, name in GUESTS]
    gate_list = [_gate(venue, manager, name) for name in GATE_NAMES]
    _event_today(venue, manager, customer, guests, gate_list[0])
    _sold_out_gala(venue, manager, guests)


def _guest(admin: User, email: str, full_name: str) -> User:
    existing = User.objects.filter(email=email).first()
    return existing or accounts.user_create(
        actor=admin, email=email, password=GUEST_PASSWORD, full_name=full_name
    )


def _gate(venue: Venue, manager: User, name: str) -> Gate:
    existing = Gate.objects.filter(venue=venue, name=name).first()
    return existing or gates.gate_create(venue=venue, actor=manager, name=name)


def _on_sale(venue: Venue, manager: User, **fields) -> Event:
    event = events.event_create(venue=venue, actor=manager, **fields)
    for status in (EventStatus.PUBLISHED, EventStatus.ON_SALE):
        event = events.event_transition(event=event, actor=manager, status=status)
    return event


def _event_today(
    venue: Venue, manager: User, customer: User, guests: list[User], gate: Gate
) -> None:
    """Starts in 90 minutes (doors open 120 minutes before): check-in is open
    at once. 12 places, all sold; one guest already admitted at the North gate."""
    today = timezone.localdate(timezone=ZoneInfo(venue.timezone))
    slug = f"opening-night-{today:%Y-%m-%d}"
    if Event.objects.filter(organization_id=venue.organization_id, slug=slug).exists():
        return
    start = (timezone.now() + timedelta(minutes=90)).replace(second=0, microsecond=0)
    event = _on_sale(
        venue,
        manager,
        name=f"Opening Night ({today:%d %b})",
        slug=slug,
        description="Tonight in the Great Hall: doors open two hours before. "
        "Scan the tickets at the North or South gate.",
        start_at=start,
        end_at=start + timedelta(hours=3),
        capacity=12,
    )
    events.registration_create(event=event, actor=customer, quantity=2)
    tickets = [
        events.registration_create(event=event, actor=guest, quantity=2)
        for guest in guests
    ]
    checkin.checkin_create(event=event, actor=manager, code=tickets[0].code, gate=gate)


def _sold_out_gala(venue: Venue, manager: User, guests: list[User]) -> None:
    """Next week, 4 places, sold out, one guest waiting: the customer can join
    the waiting list."""
    if Event.objects.filter(
        organization_id=venue.organization_id, slug=GALA_SLUG
    ).exists():
        return
    start = (timezone.now() + timedelta(days=7)).replace(
        minute=0, second=0, microsecond=0
    )
    event = _on_sale(
        venue,
        manager,
        name="Sold-out Gala",
        slug=GALA_SLUG,
        description="Every place is taken: join the waiting list, and a "
        "cancelled ticket comes to you in turn.",
        start_at=start,
        end_at=start + timedelta(hours=4),
        capacity=4,
    )
    for guest in guests[:2]:
        events.registration_create(event=event, actor=guest, quantity=2)
    waitlist.waitlist_join(event=event, actor=guests[2], quantity=1)
