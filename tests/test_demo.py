import pytest
from django.contrib.auth.password_validation import validate_password

from venueos.accounts.models import ApiToken, Organization, User
from venueos.audit.models import AuditEntry
from venueos.demo import DEMO_LOGINS, demo_present, load_demo
from venueos.venues.models import Closure, OpeningHours, Space, Venue

pytestmark = pytest.mark.django_db


MODELS = [Organization, User, Venue, Space, OpeningHours, Closure, AuditEntry]


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_is_absent_until_loaded():
    assert demo_present() is False
    assert load_demo() is True
    assert demo_present() is True


def test_loading_the_demo_twice_creates_nothing_new():
    assert load_demo() is True
    after_first = _counts()
    assert load_demo() is False
    assert _counts() == after_first
    assert after_first["Venue"] == 2


def test_demo_berlin_tree_is_three_levels_deep_with_rooms_and_sections(anon_client):
    load_demo()
    venue = Venue.objects.get(name="Berlin Conference Center")
    assert venue.timezone == "Europe/Berlin"
    response = anon_client.get(f"/api/v1/venues/{venue.id}/spaces/")
    by_name = {space["name"]: space for space in response.json()}
    building, floor_1 = by_name["Building"], by_name["Floor 1"]
    assert by_name["Room 102"]["path"] == [building["id"], floor_1["id"]]
    assert by_name["Room 201"]["path"] == [building["id"], by_name["Floor 2"]["id"]]
    assert by_name["Section A"]["path"] == [by_name["Great Hall"]["id"]]
    assert {"Room 101", "Room 103", "Section B"} <= set(by_name)
    assert by_name["Great Hall"]["requires_approval"] is True
    assert "projector" in by_name["Room 201"]["features"]
    assert "wheelchair" in by_name["Room 201"]["features"]


def test_demo_opening_hours_and_closure(anon_client):
    load_demo()
    berlin = Venue.objects.get(name="Berlin Conference Center")
    new_york = Venue.objects.get(name="New York Loft")
    hours = anon_client.get(f"/api/v1/venues/{berlin.id}/opening-hours/").json()
    assert {"weekday": 0, "opens": "08:00", "closes": "20:00"} in hours
    assert {"weekday": 5, "opens": "10:00", "closes": "16:00"} in hours
    assert not [row for row in hours if row["weekday"] == 6]
    ny_hours = anon_client.get(f"/api/v1/venues/{new_york.id}/opening-hours/").json()
    assert ny_hours == [
        {"weekday": day, "opens": "07:00", "closes": "22:00"} for day in range(7)
    ]
    assert new_york.timezone == "America/New_York"
    assert Space.objects.filter(venue=new_york, parent__isnull=False).count() >= 2
    assert Closure.objects.filter(venue=berlin).count() == 1


@pytest.mark.parametrize("role, email, password", DEMO_LOGINS)
def test_every_demo_login_works_and_has_its_role(anon_client, role, email, password):
    load_demo()
    user = User.objects.get(email=email)
    validate_password(password, user)  # raises if a validator rejects it
    response = anon_client.post(
        "/api/v1/auth/tokens/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 201, response.json()
    me = anon_client.get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}"
    )
    assert me.json()["role"] == role
    assert ApiToken.objects.filter(user=user).count() == 1


def test_demo_manager_belongs_to_the_demo_organization():
    load_demo()
    manager_email = next(email for role, email, _ in DEMO_LOGINS if role == "manager")
    assert User.objects.get(email=manager_email).organization.slug == "demo"


def test_demo_activity_fills_the_coming_weeks_once():
    from venueos.bookings.models import Booking, BookingStatus
    from venueos.events.models import Event, EventStatus

    load_demo()
    bookings = Booking.objects.exclude(event__isnull=False)
    assert bookings.filter(status=BookingStatus.CONFIRMED).count() == 33
    pending = bookings.get(status=BookingStatus.PENDING)
    assert pending.space.name == "Great Hall"
    talks = Event.objects.get(slug="tech-talks-berlin")
    assert (talks.status, talks.tickets_sold, talks.capacity) == (
        EventStatus.ON_SALE,
        7,
        80,
    )
    assert talks.hold.space.name == "Section B"
    before = Booking.objects.count()
    load_demo()
    assert Booking.objects.count() == before
