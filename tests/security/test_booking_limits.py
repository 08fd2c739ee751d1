"""Finding 5: one customer booked 23 × 8 h of a room in a loop. A venue now
limits the active (pending or confirmed) bookings still to come that one
customer holds there (409 `booking-limit`), exactly even when the creates
race; and every user's booking creates are rate limited (429 with
`Retry-After`)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from venueos.accounts.models import Role
from venueos.bookings.limits import BookingLimitReached
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.services import booking_cancel, booking_create
from venueos.common.throttling import SharedRateThrottle
from venueos.venues.models import DEFAULT_CUSTOMER_BOOKING_LIMIT, Venue

DAY = future_day(30)


@pytest.fixture
def place(db):
    organization = make_organization()
    venue = make_venue(organization, max_active_bookings_per_customer=3)
    return {
        "organization": organization,
        "venue": venue,
        "room": make_space(venue, name="Room", capacity=20),
        "manager": make_user(Role.MANAGER, organization),
        "customer": make_user(),
    }


def _body(space, hour: int, day=DAY, **extra) -> dict:
    return {
        "space_id": str(space.id),
        "start_time": iso(at(day, f"{hour:02d}:00")),
        "end_time": iso(at(day, f"{hour:02d}:30")),
        "title": "Loop",
    } | extra


def _book(actor, space, hour: int, day=DAY, **extra) -> Booking:
    return booking_create(
        actor=actor,
        space=space,
        start_time=at(day, f"{hour:02d}:00"),
        end_time=at(day, f"{hour:02d}:30"),
        title="Loop",
        **extra,
    )


def _active(customer) -> int:
    return Booking.objects.filter(
        user=customer, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
    ).count()


@pytest.mark.django_db
def test_the_reviewed_loop_stops_at_the_venues_limit(place):
    client = client_for(place["customer"])
    answers = [
        client.post("/api/v1/bookings/", _body(place["room"], 8 + n), format="json")
        for n in range(5)
    ]

    assert [a.status_code for a in answers] == [201, 201, 201, 409, 409]
    refusal = answers[3]
    assert refusal["Content-Type"] == "application/problem+json"
    problem = refusal.json()
    assert problem["type"] == "https://venueos.dev/problems/booking-limit"
    assert problem["status"] == 409
    assert (problem["limit"], problem["active"]) == (3, 3)
    assert "Cancel one" in problem["detail"]
    assert _active(place["customer"]) == 3


@pytest.mark.django_db
def test_only_active_bookings_still_to_come_count(place):
    customer, room = place["customer"], place["room"]
    first = _book(customer, room, 8)
    _book(customer, room, 9)
    _book(customer, room, 10)
    # Past bookings and cancelled ones leave room.
    Booking.objects.create(
        venue=place["venue"],
        space=room,
        user=customer,
        created_by=customer,
        start_time=at(future_day(-3), "09:00"),
        end_time=at(future_day(-3), "10:00"),
        title="Last week",
    )
    with pytest.raises(BookingLimitReached):
        _book(customer, room, 11)
    booking_cancel(actor=customer, booking=first)
    _book(customer, room, 11)
    assert _active(customer) == 4  # three still to come, one past


@pytest.mark.django_db
def test_pending_bookings_count(place):
    studio = make_space(place["venue"], name="Studio", requires_approval=True)
    for hour in (8, 9, 10):
        assert _book(place["customer"], studio, hour).status == BookingStatus.PENDING
    with pytest.raises(BookingLimitReached):
        _book(place["customer"], place["room"], 11)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["manager", "admin"])
def test_the_venues_managers_are_not_held_to_it(place, kind):
    actor = place["manager"] if kind == "manager" else make_user(Role.ADMIN)
    customer = place["customer"]
    for hour in (8, 9, 10):
        _book(customer, place["room"], hour)
    # On the customer's behalf: the venue decides for itself.
    _book(actor, place["room"], 11, owner=customer)
    # For themselves, as many as they like.
    for hour in (12, 13, 14, 15):
        _book(actor, place["room"], hour)
    assert _active(customer) == 4


@pytest.mark.django_db
def test_the_limit_is_per_venue_and_null_means_none(place):
    customer = place["customer"]
    for hour in (8, 9, 10):
        _book(customer, place["room"], hour)
    elsewhere = make_space(
        make_venue(make_organization(), max_active_bookings_per_customer=None)
    )
    for hour in range(8, 16):
        _book(customer, elsewhere, hour)
    assert _active(customer) == 11


@pytest.mark.django_db
def test_a_series_over_the_limit_creates_nothing(place):
    client = client_for(place["customer"])
    _book(place["customer"], place["room"], 8)
    series = _body(place["room"], 12, recurrence={"freq": "weekly", "count": 3})

    refused = client.post("/api/v1/bookings/series/", series, format="json")
    assert refused.status_code == 409, refused.content
    assert refused.json()["type"].endswith("/booking-limit")
    assert _active(place["customer"]) == 1

    series["recurrence"]["count"] = 2
    created = client.post("/api/v1/bookings/series/", series, format="json")
    assert created.status_code == 201, created.content
    assert _active(place["customer"]) == 3


@pytest.mark.django_db
def test_the_limit_is_a_venue_setting_of_the_api_and_the_site(place):
    client = client_for(place["manager"])
    created = client.post(
        "/api/v1/venues/",
        {"name": "Annex", "timezone": "Europe/Berlin", "max_capacity": 10},
        format="json",
    ).json()
    assert created["max_active_bookings_per_customer"] == DEFAULT_CUSTOMER_BOOKING_LIMIT
    url = f"/api/v1/venues/{created['id']}/"
    for value in (5, None):
        changed = client.patch(
            url, {"max_active_bookings_per_customer": value}, format="json"
        )
        assert changed.status_code == 200, changed.content
        assert changed.json()["max_active_bookings_per_customer"] == value
    for bad in (0, -1, 10_001):
        refused = client.patch(
            url, {"max_active_bookings_per_customer": bad}, format="json"
        )
        assert refused.status_code == 400, (bad, refused.content)

    site = Client()
    site.force_login(place["manager"])
    venue = place["venue"]
    form = site.get(f"/manage/venues/{venue.id}/").content.decode()
    assert 'name="max_active_bookings_per_customer"' in form
    posted = {
        "name": venue.name,
        "slug": venue.slug,
        "timezone": venue.timezone,
        "max_capacity": venue.max_capacity,
        "slot_minutes": venue.slot_minutes,
        "min_duration_minutes": venue.min_duration_minutes,
        "max_duration_minutes": venue.max_duration_minutes,
        "booking_horizon_days": venue.booking_horizon_days,
        "max_active_bookings_per_customer": "7",
    }
    assert site.post(f"/manage/venues/{venue.id}/", posted).status_code == 302
    venue.refresh_from_db()
    assert venue.max_active_bookings_per_customer == 7
    site.post(
        f"/manage/venues/{venue.id}/", posted | {"max_active_bookings_per_customer": ""}
    )
    venue.refresh_from_db()
    assert venue.max_active_bookings_per_customer is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_concurrent_creates_of_one_customer_never_exceed_the_limit():
    """Twelve creates of one customer at once, each on its own connection and
    its own space (no conflict between them): exactly the limit succeed."""
    venue = make_venue(make_organization(), max_active_bookings_per_customer=5)
    customer = make_user()
    spaces = [make_space(venue) for _ in range(12)]
    barrier = threading.Barrier(len(spaces))

    def create(space):
        try:
            barrier.wait(timeout=60)
            _book(customer, space, 10)
            return "created"
        except BookingLimitReached:
            return "limit"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(spaces)) as pool:
        outcomes = list(pool.map(create, spaces))

    assert sorted(outcomes) == ["created"] * 5 + ["limit"] * 7
    assert _active(customer) == 5


@pytest.fixture
def bookings_rate_3(monkeypatch):
    rates = dict(SharedRateThrottle.THROTTLE_RATES, bookings="3/minute")
    monkeypatch.setattr(SharedRateThrottle, "THROTTLE_RATES", rates)


def test_booking_creates_are_rate_limited_by_default(settings):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_THROTTLE_RATES["bookings"] == "60/minute"


@pytest.mark.django_db
def test_a_users_creates_beyond_the_rate_are_429_with_retry_after(
    place, bookings_rate_3
):
    Venue.objects.filter(pk=place["venue"].pk).update(
        max_active_bookings_per_customer=None
    )
    client = client_for(place["customer"])
    statuses = [
        client.post(
            "/api/v1/bookings/", _body(place["room"], 8 + n), format="json"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 201]

    refused = client.post("/api/v1/bookings/", _body(place["room"], 12), format="json")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60
    series = client.post(
        "/api/v1/bookings/series/",
        _body(place["room"], 13, recurrence={"freq": "daily", "count": 2}),
        format="json",
    )
    assert series.status_code == 429
    # Someone else is not slowed down by it, and reads are not counted.
    assert client.get("/api/v1/me/bookings/").status_code == 200
    other = client_for(make_user()).post(
        "/api/v1/bookings/", _body(place["room"], 14), format="json"
    )
    assert other.status_code == 201
    assert _active(place["customer"]) == 3


@pytest.mark.django_db
def test_the_sites_booking_form_shares_the_rate(place, bookings_rate_3):
    Venue.objects.filter(pk=place["venue"].pk).update(
        max_active_bookings_per_customer=None
    )
    site = Client()
    site.force_login(place["customer"])

    def post(hour):
        return site.post(
            "/bookings/new/",
            {
                "space": str(place["room"].id),
                "date": DAY.isoformat(),
                "start": f"{hour:02d}:00",
                "end": f"{hour:02d}:30",
                "title": "Loop",
                "attendee_count": 1,
                "description": "",
            },
        )

    assert [post(h).status_code for h in (8, 9, 10)] == [302, 302, 302]
    refused = post(11)
    assert refused.status_code == 429
    assert "Please wait a minute" in refused.content.decode()
