"""The managers' and administrators' pages as plain forms (Django's test
client): what each page shows, that each form reaches its service, and that
people who may not do a thing get a clear 403/404 page (never a 500)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import (
    PASSWORD,
    make_organization,
    make_space,
    make_user,
    make_venue,
    set_opening_hours,
)
from venueos.accounts.models import Organization, Role, User
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.services import booking_create
from venueos.events.models import Event, EventStatus
from venueos.events.services import (
    event_create,
    event_transition,
    registration_create,
)
from venueos.venues.models import Closure, OpeningHours, Space
from venueos.web.charts import bar_chart

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


@pytest.fixture
def day() -> date:
    return timezone.now().astimezone(BERLIN).date() + timedelta(days=3)


@pytest.fixture
def site(day):
    """A venue open 08:00-20:00 daily: Room 101 (bookable) inside Floor 1
    (not bookable), the Great Hall (needs approval); a customer's pending
    booking of the hall and a confirmed one of the room."""
    organization = make_organization()
    venue = make_venue(organization, name="Berlin Conference Center")
    set_opening_hours(venue, 8 * 60, 20 * 60)
    floor = make_space(venue, name="Floor 1", capacity=60, is_bookable=False)
    room = make_space(venue, parent=floor, name="Room 101", capacity=12)
    hall = make_space(venue, name="Great Hall", capacity=200, requires_approval=True)
    manager = make_user(Role.MANAGER, organization=organization)
    customer = make_user(full_name="Chris Customer")
    pending = booking_create(
        actor=customer,
        space=hall,
        start_time=at(day, 14),
        end_time=at(day, 16),
        title="Board meeting",
    )
    confirmed = booking_create(
        actor=customer,
        space=room,
        start_time=at(day, 10),
        end_time=at(day, 11),
        title="Stand-up",
    )
    assert (pending.status, confirmed.status) == ("pending", "confirmed")
    return {
        "organization": organization,
        "venue": venue,
        "floor": floor,
        "room": room,
        "hall": hall,
        "manager": manager,
        "customer": customer,
        "pending": pending,
        "confirmed": confirmed,
    }


@pytest.fixture
def event(site):
    return event_create(
        venue=site["venue"],
        actor=site["manager"],
        name="Autumn Gala",
        start_at=timezone.now() + timedelta(days=20),
        end_at=timezone.now() + timedelta(days=20, hours=3),
        capacity=50,
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def manager_pages(site, event) -> list[str]:
    venue, room = site["venue"].id, site["room"].id
    booking = site["pending"].id
    return [
        "/manage/",
        "/manage/venues/",
        f"/manage/venues/{venue}/",
        f"/manage/venues/{venue}/hours/",
        f"/manage/venues/{venue}/closures/",
        f"/manage/venues/{venue}/spaces/",
        f"/manage/venues/{venue}/spaces/new/",
        f"/manage/venues/{venue}/spaces/{room}/",
        "/manage/bookings/",
        "/manage/bookings/new/",
        f"/manage/bookings/{booking}/cancel/",
        "/manage/events/",
        "/manage/events/new/",
        f"/manage/events/{event.id}/",
        f"/manage/events/{event.id}/registrations/",
        f"/manage/events/{event.id}/registrations.csv",
    ]


# --- who may see the pages ----------------------------------------------------


def test_every_manager_page_renders_for_the_venues_manager(client, site, event):
    signed_in(client, site["manager"])
    for url in manager_pages(site, event):
        response = client.get(url)
        assert response.status_code == 200, url


def test_every_manager_page_renders_for_an_administrator(client, site, event):
    signed_in(client, make_user(Role.ADMIN))
    for url in [*manager_pages(site, event), "/manage/organizations/"]:
        assert client.get(url).status_code == 200, url


def test_a_customer_gets_a_clear_refusal_on_every_manager_page(client, site, event):
    signed_in(client, site["customer"])
    for url in [*manager_pages(site, event), "/manage/organizations/"]:
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert b"Not allowed" in response.content or b"Not found" in response.content


def test_a_manager_of_another_organization_is_refused_the_venue_and_event(
    client, site, event
):
    signed_in(client, make_user(Role.MANAGER, organization=make_organization()))
    venue = site["venue"].id
    for url in [f"/manage/venues/{venue}/", f"/manage/venues/{venue}/hours/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Your account is not allowed to do that." in response.content.decode()
    # A draft is its managers' only: to others as missing as an unknown id.
    assert event.status == "draft"
    for url in [
        f"/manage/events/{event.id}/",
        f"/manage/events/{event.id}/registrations.csv",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.get("/manage/organizations/").status_code == 403
    dashboard = client.get("/manage/").content.decode()
    assert "Board meeting" not in dashboard


def test_an_unknown_venue_is_a_404_page(client, site):
    signed_in(client, site["manager"])
    response = client.get("/manage/venues/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "We could not find that." in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, site):
    response = client.get("/manage/bookings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/manage/bookings/")


def test_the_nav_has_a_dashboard_link_for_managers_only(client, site):
    signed_in(client, site["manager"])
    assert 'href="/manage/">Dashboard</a>' in client.get("/").content.decode()
    signed_in(client, site["customer"])
    assert 'href="/manage/"' not in client.get("/").content.decode()


# --- dashboard and decisions --------------------------------------------------


def test_the_dashboard_shows_pending_approvals_and_the_coming_bookings(client, site):
    signed_in(client, site["manager"])
    page = client.get("/manage/").content.decode()
    assert "Waiting for approval" in page
    assert 'Confirm<span class="visually-hidden"> Board meeting</span>' in page
    assert "Stand-up" in page
    assert 'role="img" aria-label="Utilization per day, Berlin Conference Center' in (
        page
    )


def test_confirming_a_pending_booking_from_the_dashboard(client, site):
    signed_in(client, site["manager"])
    booking = site["pending"]
    response = client.post(
        f"/manage/bookings/{booking.id}/decide/",
        {"decision": "confirm", "next": "/manage/"},
        follow=True,
    )
    assert response.redirect_chain == [("/manage/", 302)]
    assert "“Board meeting” is confirmed." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_rejecting_a_pending_booking_cancels_it(client, site):
    signed_in(client, site["manager"])
    booking = site["pending"]
    client.post(f"/manage/bookings/{booking.id}/decide/", {"decision": "reject"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_deciding_twice_says_why_it_did_not_work(client, site):
    signed_in(client, site["manager"])
    booking = site["confirmed"]
    response = client.post(
        f"/manage/bookings/{booking.id}/decide/",
        {"decision": "confirm", "next": "/manage/"},
        follow=True,
    )
    assert "Only pending bookings can be decided" in response.content.decode()


def test_an_unsafe_next_address_is_not_followed(client, site):
    signed_in(client, site["manager"])
    response = client.post(
        f"/manage/bookings/{site['pending'].id}/decide/",
        {"decision": "confirm", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/manage/"


# --- venue editor -------------------------------------------------------------


def venue_form(venue, **changes) -> dict:
    data = {
        "name": venue.name,
        "slug": venue.slug,
        "timezone": venue.timezone,
        "street": "Friedrichstraße 100",
        "postcode": "10117",
        "city": "Berlin",
        "country": "DE",
        "max_capacity": venue.max_capacity,
        "slot_minutes": venue.slot_minutes,
        "min_duration_minutes": venue.min_duration_minutes,
        "max_duration_minutes": venue.max_duration_minutes,
        "booking_horizon_days": venue.booking_horizon_days,
    }
    return data | changes


def test_saving_the_details_and_policy(client, site):
    signed_in(client, site["manager"])
    venue = site["venue"]
    venue.address = {"street": "Old street 1", "floor": "3"}
    venue.save()
    response = client.post(
        f"/manage/venues/{venue.id}/",
        venue_form(venue, name="BCC", slot_minutes=30, min_duration_minutes=30),
    )
    assert response.status_code == 302
    venue.refresh_from_db()
    assert (venue.name, venue.slot_minutes, venue.min_duration_minutes) == (
        "BCC",
        30,
        30,
    )
    assert venue.address == {
        "floor": "3",  # kept: the form does not show it
        "street": "Friedrichstraße 100",
        "postcode": "10117",
        "city": "Berlin",
        "country": "DE",
    }


def test_a_policy_the_service_refuses_is_explained_next_to_its_field(client, site):
    signed_in(client, site["manager"])
    venue = site["venue"]
    response = client.post(
        f"/manage/venues/{venue.id}/",
        venue_form(venue, slot_minutes=7),
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "slot_minutes": ["The slot size must divide a day (e.g. 5, 15, 30, 60)."]
    }


def hours_form(**intervals) -> dict:
    """`d0=[("09:00", "12:00"), …]` per weekday; everything else empty."""
    data = {}
    for key, pairs in intervals.items():
        for slot, (opens, closes) in enumerate(pairs):
            data[f"{key}-{slot}-opens"] = opens
            data[f"{key}-{slot}-closes"] = closes
    return data


def test_the_opening_hours_table_takes_several_intervals_a_day(client, site):
    signed_in(client, site["manager"])
    venue = site["venue"]
    page = client.get(f"/manage/venues/{venue.id}/hours/").content.decode()
    assert 'value="08:00"' in page and 'value="20:00"' in page
    response = client.post(
        f"/manage/venues/{venue.id}/hours/",
        hours_form(
            d0=[("09:00", "12:00"), ("13:00", "17:00")], d5=[("10:00", "00:00")]
        ),
    )
    assert response.status_code == 302
    rows = OpeningHours.objects.filter(venue=venue).order_by("weekday", "opens_minute")
    assert [(r.weekday, r.opens_minute, r.closes_minute) for r in rows] == [
        (0, 540, 720),
        (0, 780, 1020),
        (5, 600, 1440),
    ]


def test_overlapping_or_reversed_intervals_are_explained(client, site):
    signed_in(client, site["manager"])
    url = f"/manage/venues/{site['venue'].id}/hours/"
    response = client.post(url, hours_form(d1=[("09:00", "12:00"), ("11:00", "14:00")]))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Two intervals of the same day overlap. Please separate them."
    ]
    response = client.post(url, hours_form(d2=[("09:00", "10:00"), ("15:00", "14:00")]))
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "d2-1-closes": ["Closing time must be after opening time."]
    }
    response = client.post(url, {"d3-0-opens": "09:00"})
    assert response.context["form"].errors == {
        "d3-0-closes": ["Give both times of this Thursday interval."]
    }
    assert OpeningHours.objects.filter(venue=site["venue"]).count() == 7


def test_adding_and_removing_a_closure(client, site, day):
    signed_in(client, site["manager"])
    venue = site["venue"]
    response = client.post(
        f"/manage/venues/{venue.id}/closures/",
        {
            "space": str(site["room"].id),
            "start_date": day.isoformat(),
            "start_time": "12:00",
            "end_date": day.isoformat(),
            "end_time": "13:00",
            "reason": "Painting",
        },
    )
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.space, closure.start_time, closure.end_time) == (
        site["room"],
        at(day, 12),
        at(day, 13),
    )
    page = client.get(f"/manage/venues/{venue.id}/closures/").content.decode()
    assert "Floor 1 › Room 101" in page and "Painting" in page
    client.post(f"/manage/venues/{venue.id}/closures/{closure.id}/remove/")
    assert not Closure.objects.exists()


def test_a_closure_that_ends_before_it_starts_is_explained(client, site, day):
    signed_in(client, site["manager"])
    response = client.post(
        f"/manage/venues/{site['venue'].id}/closures/",
        {
            "start_date": day.isoformat(),
            "start_time": "12:00",
            "end_date": day.isoformat(),
            "end_time": "11:00",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "end_time": ["The end time must be after the start time."]
    }


def space_form(**values) -> dict:
    data = {
        "name": "",
        "parent": "",
        "capacity": 10,
        "features": "",
        "is_bookable": "on",
    }
    return data | values


def test_adding_a_space_inside_another_and_editing_it(client, site):
    signed_in(client, site["manager"])
    venue, floor = site["venue"], site["floor"]
    page = client.get(f"/manage/venues/{venue.id}/spaces/new/?parent={floor.id}")
    assert page.context["form"]["parent"].value() == str(floor.id)
    response = client.post(
        f"/manage/venues/{venue.id}/spaces/new/",
        space_form(
            name="Room 102", parent=str(floor.id), features="Projector, wheelchair"
        ),
    )
    assert response.status_code == 302
    room = Space.objects.get(name="Room 102")
    assert (room.parent, room.features, room.is_bookable) == (
        floor,
        ["projector", "wheelchair"],
        True,
    )
    response = client.post(
        f"/manage/venues/{venue.id}/spaces/{room.id}/",
        space_form(
            name="Studio", capacity=8, requires_approval="on", buffer_after_minutes=15
        ),
    )
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.buffer_before_minutes, room.buffer_after_minutes) == (0, 15)
    assert (room.name, room.parent, room.capacity, room.is_bookable) == (
        "Studio",
        None,
        8,
        True,
    )
    assert room.requires_approval
    tree = client.get(f"/manage/venues/{venue.id}/spaces/").content.decode()
    assert "Studio" in tree and "Needs approval" in tree


def test_moving_a_space_under_its_own_child_is_explained(client, site):
    signed_in(client, site["manager"])
    venue, floor, room = site["venue"], site["floor"], site["room"]
    response = client.post(
        f"/manage/venues/{venue.id}/spaces/{floor.id}/",
        space_form(name="Floor 1", parent=str(room.id), capacity=60),
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "parent": ["A space cannot be moved under itself or one of its descendants."]
    }


def test_deleting_a_space_with_bookings_is_refused_with_the_reason(client, site):
    signed_in(client, site["manager"])
    venue, room = site["venue"], site["room"]
    response = client.post(
        f"/manage/venues/{venue.id}/spaces/{room.id}/delete/", follow=True
    )
    assert "This space has bookings" in response.content.decode()
    assert Space.objects.filter(pk=room.pk).exists()
    empty = make_space(venue, name="Storage")
    client.post(f"/manage/venues/{venue.id}/spaces/{empty.id}/delete/")
    assert not Space.objects.filter(pk=empty.pk).exists()


# --- bookings oversight -------------------------------------------------------


def test_the_oversight_filters_by_status_space_and_dates(client, site, day):
    signed_in(client, site["manager"])
    page = client.get("/manage/bookings/").content.decode()
    assert "Board meeting" in page and "Stand-up" in page
    page = client.get("/manage/bookings/", {"status": "pending"}).content.decode()
    assert "Board meeting" in page and "Stand-up" not in page
    page = client.get(
        "/manage/bookings/", {"space": str(site["room"].id)}
    ).content.decode()
    assert "Board meeting" not in page and "Stand-up" in page
    later = (day + timedelta(days=1)).isoformat()
    page = client.get(
        "/manage/bookings/", {"venue": str(site["venue"].id), "start": later}
    ).content.decode()
    assert "No bookings match." in page


def test_cancelling_with_a_reason(client, site):
    signed_in(client, site["manager"])
    booking = site["confirmed"]
    response = client.post(
        f"/manage/bookings/{booking.id}/cancel/",
        {"reason": "Room flooded", "next": "/manage/bookings/?status=confirmed"},
    )
    assert response["Location"] == "/manage/bookings/?status=confirmed"
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason, booking.cancelled_by) == (
        BookingStatus.CANCELLED,
        "Room flooded",
        site["manager"],
    )


def test_a_manager_cancel_needs_a_reason(client, site):
    signed_in(client, site["manager"])
    response = client.post(f"/manage/bookings/{site['confirmed'].id}/cancel/", {})
    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": ["This field is required."]}


def on_behalf(site, day, **values) -> dict:
    data = {
        "customer": site["customer"].email.upper(),
        "space": str(site["room"].id),
        "date": day.isoformat(),
        "start": "15:00",
        "end": "16:30",
        "title": "Interview",
        "attendee_count": 2,
    }
    return data | values


def test_booking_on_behalf_of_a_customer(client, site, day):
    signed_in(client, site["manager"])
    response = client.post("/manage/bookings/new/", on_behalf(site, day))
    booking = Booking.objects.get(title="Interview")
    assert response["Location"] == f"/bookings/{booking.id}/"
    assert (booking.user, booking.created_by, booking.start_time, booking.end_time) == (
        site["customer"],
        site["manager"],
        at(day, 15),
        at(day, 16, 30),
    )


def test_booking_on_behalf_explains_an_unknown_customer_and_a_taken_time(
    client, site, day
):
    signed_in(client, site["manager"])
    response = client.post(
        "/manage/bookings/new/", on_behalf(site, day, customer="nobody@example.com")
    )
    assert response.context["form"].errors == {
        "customer": ["No account has that e-mail address."]
    }
    response = client.post(
        "/manage/bookings/new/", on_behalf(site, day, start="10:00", end="11:00")
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Someone else has booked that time (or a space that contains it or lies "
        "inside it)."
    ]


# --- events -------------------------------------------------------------------


def event_form(site, day, **values) -> dict:
    data = {
        "venue": str(site["venue"].id),
        "space": "",
        "name": "Winter Talk",
        "description": "",
        "start_date": (day + timedelta(days=10)).isoformat(),
        "start_time": "18:00",
        "end_date": (day + timedelta(days=10)).isoformat(),
        "end_time": "20:00",
        "capacity": 80,
    }
    return data | values


def test_creating_an_event_in_the_venues_zone(client, site, day):
    signed_in(client, site["manager"])
    response = client.post("/manage/events/new/", event_form(site, day))
    event = Event.objects.get(name="Winter Talk")
    assert response["Location"] == f"/manage/events/{event.id}/"
    assert (event.status, event.start_at, event.capacity) == (
        EventStatus.DRAFT,
        at(day + timedelta(days=10), 18),
        80,
    )


def test_an_event_above_the_venues_capacity_is_explained(client, site, day):
    signed_in(client, site["manager"])
    response = client.post("/manage/events/new/", event_form(site, day, capacity=9999))
    assert response.status_code == 400
    assert "capacity" in response.context["form"].errors


def lifecycle_buttons(client, event) -> list[str]:
    response = client.get(f"/manage/events/{event.id}/")
    return [move["label"] for move in response.context["moves"]]


def test_lifecycle_buttons_are_exactly_the_allowed_transitions(client, site, event):
    signed_in(client, site["manager"])
    assert lifecycle_buttons(client, event) == ["Publish", "Close event"]
    response = client.post(
        f"/manage/events/{event.id}/status/", {"status": "published"}, follow=True
    )
    assert "Autumn Gala is now published." in response.content.decode()
    assert lifecycle_buttons(client, event) == [
        "Back to draft",
        "Start selling",
        "Close event",
    ]
    client.post(f"/manage/events/{event.id}/status/", {"status": "on_sale"})
    assert lifecycle_buttons(client, event) == ["Pause sales", "Close event"]
    client.post(f"/manage/events/{event.id}/status/", {"status": "paused"})
    assert lifecycle_buttons(client, event) == ["Resume sales", "Close event"]
    client.post(f"/manage/events/{event.id}/status/", {"status": "closed"})
    assert lifecycle_buttons(client, event) == []


def test_a_transition_the_table_refuses_is_a_message(client, site, event):
    signed_in(client, site["manager"])
    response = client.post(
        f"/manage/events/{event.id}/status/", {"status": "on_sale"}, follow=True
    )
    assert "An event cannot go from &#x27;draft&#x27; to &#x27;on_sale&#x27;." in (
        response.content.decode()
    )
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT


def test_editing_an_event(client, site, day, event):
    signed_in(client, site["manager"])
    response = client.post(
        f"/manage/events/{event.id}/",
        event_form(site, day, name="Autumn Gala 2026", capacity=40),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.name, event.capacity) == ("Autumn Gala 2026", 40)


def test_registrations_list_and_csv(client, site, event):
    event_transition(event=event, actor=site["manager"], status=EventStatus.PUBLISHED)
    event_transition(event=event, actor=site["manager"], status=EventStatus.ON_SALE)
    attendee = make_user(full_name="=HYPERLINK(evil)", email="ann@example.com")
    registration_create(event=event, actor=attendee, quantity=3)
    signed_in(client, site["manager"])
    page = client.get(f"/manage/events/{event.id}/registrations/").content.decode()
    assert "3 of 50 places taken" in page and "ann@example.com" in page
    response = client.get(f"/manage/events/{event.id}/registrations.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="registrations-autumn-gala.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "name",
        "email",
        "places",
        "status",
        "registered_at",
        "cancelled_at",
    ]
    assert rows[1][:4] == ["'=HYPERLINK(evil)", "ann@example.com", "3", "active"]
    assert len(rows) == 2


# --- administrators -----------------------------------------------------------


def test_an_administrator_creates_an_organization_and_a_manager(client):
    signed_in(client, make_user(Role.ADMIN))
    response = client.post(
        "/manage/organizations/",
        {"form": "organization", "organization-name": "Harbour Halls"},
    )
    assert response.status_code == 302
    organization = Organization.objects.get(slug="harbour-halls")
    response = client.post(
        "/manage/organizations/",
        {
            "form": "manager",
            "manager-full_name": "Hana Harbour",
            "manager-email": "hana@example.com",
            "manager-password": PASSWORD,
            "manager-organization": str(organization.id),
        },
    )
    assert response.status_code == 302
    manager = User.objects.get(email="hana@example.com")
    assert (manager.role, manager.organization) == (Role.MANAGER, organization)
    page = client.get("/manage/organizations/").content.decode()
    assert "Harbour Halls" in page and "Hana Harbour" in page


def test_a_taken_slug_and_a_weak_password_are_explained(client):
    signed_in(client, make_user(Role.ADMIN))
    make_organization("taken")
    response = client.post(
        "/manage/organizations/",
        {
            "form": "organization",
            "organization-name": "X",
            "organization-slug": "taken",
        },
    )
    assert response.status_code == 400
    assert response.context["organization_form"].errors == {
        "name": ["Organization slug 'taken' is taken."]
    }
    response = client.post(
        "/manage/organizations/",
        {
            "form": "manager",
            "manager-full_name": "W",
            "manager-email": "w@example.com",
            "manager-password": "12345678",
            "manager-organization": str(Organization.objects.get().id),
        },
    )
    assert response.status_code == 400
    assert "password" in response.context["manager_form"].errors


def test_a_customer_cannot_confirm_their_own_pending_booking(client, site):
    signed_in(client, site["customer"])
    booking = site["pending"]
    response = client.post(
        f"/manage/bookings/{booking.id}/decide/",
        {"decision": "confirm", "next": "/my/bookings/"},
        follow=True,
    )
    assert "Your account is not allowed to do that." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_the_weeks_numbers_move_a_week_at_a_time(client, site):
    signed_in(client, site["manager"])
    assert ">This week</h2>" in client.get("/manage/").content.decode()
    page = client.get("/manage/", {"week": "1"}).content.decode()
    assert ">Next week</h2>" in page and 'href="?week=2#week-heading"' in page
    assert ">This week</h2>" in client.get("/manage/?week=nonsense").content.decode()


def test_the_dashboard_follows_the_organizations_stream_from_before_its_reads(
    client, site
):
    signed_in(client, site["manager"])
    page = client.get("/manage/").content.decode()
    organization = site["organization"].id
    assert (
        f'sse-connect="/api/v1/stream/?organization_id={organization}'
        "&amp;last_event_id=" in page
    )
    assert 'data-timezone="Europe/Berlin"' in page
    signed_in(client, make_user(Role.ADMIN))  # no organization of their own
    assert "sse-connect" not in client.get("/manage/").content.decode()


def test_the_weeks_figures_sum_the_utilization_report_over_bookable_spaces(
    client, site
):
    """Open 08:00-20:00 daily; two bookable spaces (Room 101, Great Hall; Floor
    1 is not bookable): 24 open space-hours a day. Six booked hours on the
    Monday two weeks ahead are 25 % of that day and 6/168 of the week."""
    today = timezone.now().astimezone(BERLIN).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=2)
    booking_create(
        actor=site["customer"],
        space=site["room"],
        start_time=at(monday, 8),
        end_time=at(monday, 14),
        title="Offsite",
    )
    signed_in(client, site["manager"])
    response = client.get("/manage/", {"week": "2"})
    [item] = response.context["numbers"]
    week = item["week"]
    assert [day.day for day in week.days][0] == monday
    assert [day.utilization for day in week.days] == [0.25] + [0.0] * 6
    assert (week.bookings, week.booked_hours, week.utilization) == (1, 6, 6 / 168)
    assert "Mon 25%, Tue 0%" in item["chart"]


def test_the_chart_names_every_value_and_scales_low_figures():
    chart = bar_chart([("Mon", 0.04), ("Tue", None), ("Wed", 0.08)], title="Use")
    assert 'role="img" aria-label="Use: Mon 4%, Tue closed, Wed 8%"' in chart
    assert ">10%</text>" in chart  # the axis ends at 10 %
    # Wed's bar fills 80 % of the 82-unit plot; Tue's is empty and says "–".
    assert 'height="65.6"' in chart and ">–</text>" in chart


def test_an_address_stored_as_text_fills_the_street(client, site):
    venue = site["venue"]
    venue.address = "Friedrichstraße 100, 10117 Berlin"
    venue.save()
    signed_in(client, site["manager"])
    form = client.get(f"/manage/venues/{venue.id}/").context["form"]
    assert form["street"].value() == "Friedrichstraße 100, 10117 Berlin"
