"""Finding 8: a tenant set up a venue whose anonymous availability search
answered 62 MB in 10.5 s (1-minute slots, 5,040 opening-hour rows, 30 spaces).
The opening-hour rows and the future closures of a venue are bounded, and so
are the spaces and the free intervals of one search: beyond, a 400 that says
how to narrow it, decided before the answer is built."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import (
    client_for,
    make_organization,
    make_space,
    make_user,
    make_venue,
)
from venueos.accounts.models import Role
from venueos.bookings.availability import MAX_SEARCH_SPACES, space_availability
from venueos.bookings.models import Booking
from venueos.common.problems import InvalidInput
from venueos.venues.models import (
    MAX_FUTURE_CLOSURES,
    MAX_OPENING_HOURS_ROWS,
    Closure,
    OpeningHours,
)

pytestmark = pytest.mark.django_db

DAY = future_day(10)


def _problem(response, slug: str) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"https://venueos.dev/problems/{slug}"
    return problem


def test_the_reviewed_attack_is_refused_quickly_and_briefly():
    """Set up as before the limits existed (rows written directly): one
    minute open, one closed, all week; 30 spaces; a 31-day anonymous search."""
    venue = make_venue(make_organization(), slot_minutes=1, min_duration_minutes=1)
    OpeningHours.objects.bulk_create(
        OpeningHours(venue=venue, weekday=day, opens_minute=m, closes_minute=m + 1)
        for day in range(7)
        for m in range(0, 1440, 2)
    )
    assert OpeningHours.objects.filter(venue=venue).count() == 5040
    for _ in range(30):
        make_space(venue)
    start = timezone.now().replace(microsecond=0) + timedelta(hours=1)

    began = time.monotonic()
    response = client_for(None).get(
        "/api/v1/availability/search/",
        {
            "venue_id": str(venue.id),
            "start_time": iso(start),
            "end_time": iso(start + timedelta(days=31)),
        },
    )
    elapsed = time.monotonic() - began

    problem = _problem(response, "too-many-slots")
    assert "Narrow it" in problem["detail"] and "space_id" in problem["detail"]
    assert len(response.content) < 2000
    assert elapsed < 5, elapsed


def test_a_narrow_search_of_the_same_venue_still_answers():
    venue = make_venue(make_organization(), slot_minutes=1, min_duration_minutes=1)
    OpeningHours.objects.bulk_create(
        OpeningHours(venue=venue, weekday=day, opens_minute=m, closes_minute=m + 1)
        for day in range(7)
        for m in range(0, 1440, 2)
    )
    space = make_space(venue)
    start = at(DAY, "00:00")
    response = client_for(None).get(
        "/api/v1/availability/search/",
        {
            "space_id": str(space.id),
            "start_time": iso(start),
            "end_time": iso(start + timedelta(hours=12)),
        },
    )
    assert response.status_code == 200, response.content
    assert len(response.json()[0]["available_slots"]) == 360


def test_opening_hours_are_bounded_per_venue():
    organization = make_organization()
    venue = make_venue(organization, slot_minutes=5, min_duration_minutes=5)
    client = client_for(make_user(Role.MANAGER, organization))
    url = f"/api/v1/venues/{venue.id}/opening-hours/"

    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    def week(rows: int) -> list[dict]:
        """One minute open, one closed, spread over the week."""
        return [
            {
                "weekday": n % 7,
                "opens": hhmm(n // 7 * 2),
                "closes": hhmm(n // 7 * 2 + 1),
            }
            for n in range(rows)
        ]

    problem = _problem(
        client.put(url, week(5040), format="json"), "too-many-opening-hours"
    )
    assert str(MAX_OPENING_HOURS_ROWS) in problem["detail"]
    assert not OpeningHours.objects.filter(venue=venue).exists()
    accepted = client.put(url, week(MAX_OPENING_HOURS_ROWS), format="json")
    assert accepted.status_code == 200, accepted.content
    assert OpeningHours.objects.filter(venue=venue).count() == MAX_OPENING_HOURS_ROWS


def test_future_closures_are_bounded_per_venue():
    organization = make_organization()
    venue = make_venue(organization)
    base = timezone.now() + timedelta(days=1)
    Closure.objects.bulk_create(
        Closure(
            venue=venue,
            start_time=base + timedelta(hours=n),
            end_time=base + timedelta(hours=n, minutes=30),
        )
        for n in range(MAX_FUTURE_CLOSURES)
    )
    # Closures that have ended do not count.
    Closure.objects.create(
        venue=venue,
        start_time=timezone.now() - timedelta(days=3),
        end_time=timezone.now() - timedelta(days=2),
    )
    client = client_for(make_user(Role.MANAGER, organization))
    url = f"/api/v1/venues/{venue.id}/closures/"
    later = base + timedelta(days=400)
    body = {"start_time": iso(later), "end_time": iso(later + timedelta(hours=1))}

    problem = _problem(client.post(url, body, format="json"), "too-many-closures")
    assert "merge" in problem["detail"]
    assert Closure.objects.filter(venue=venue).count() == MAX_FUTURE_CLOSURES + 1

    Closure.objects.filter(venue=venue).order_by("start_time").last().delete()
    assert client.post(url, body, format="json").status_code == 201


def test_spaces_per_search_are_bounded():
    venue = make_venue(make_organization())
    for n in range(MAX_SEARCH_SPACES + 1):
        make_space(venue, capacity=10 if n else 100)
    params = {
        "venue_id": str(venue.id),
        "start_time": iso(at(DAY, "09:00")),
        "end_time": iso(at(DAY, "10:00")),
    }
    problem = _problem(
        client_for(None).get("/api/v1/availability/search/", params), "too-many-spaces"
    )
    assert "min_capacity" in problem["detail"]
    narrowed = client_for(None).get(
        "/api/v1/availability/search/", params | {"min_capacity": 50}
    )
    assert narrowed.status_code == 200 and len(narrowed.json()) == 1


def test_free_intervals_split_by_bookings_count_too():
    """The opening hours alone give one interval; bookings split it."""
    venue = make_venue(make_organization())
    space = make_space(venue)
    customer = make_user()
    for hour in (9, 11, 13):
        Booking.objects.create(
            venue=venue,
            space=space,
            user=customer,
            created_by=customer,
            start_time=at(DAY, f"{hour}:00"),
            end_time=at(DAY, f"{hour}:30"),
            title="Split",
        )
    window = {"spaces": [space], "start": at(DAY, "08:00"), "end": at(DAY, "16:00")}
    assert len(space_availability(**window)[0].available_slots) == 4
    with pytest.raises(InvalidInput) as refused:
        space_availability(**window, max_slots=3)
    assert refused.value.slug == "too-many-slots"
