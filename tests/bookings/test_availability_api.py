"""GET /api/v1/availability/search: the endpoint, its 400s and its query count.
These use days relative to today: the endpoint reads the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.bookings.availability_helpers import (
    NOW,
    PROBLEM,
    at,
    book,
)
from tests.conftest import make_space, make_user, make_venue, set_opening_hours
from venueos.bookings.availability import (
    space_availability,
)
from venueos.bookings.models import Booking
from venueos.venues.models import Closure

pytestmark = pytest.mark.django_db


# --- the HTTP endpoint --------------------------------------------------------------

SEARCH = "/api/v1/availability/search/"


def future_day(venue, days_ahead: int = 30) -> date:
    """A Monday at least `days_ahead` days from today (the endpoint reads the clock)."""
    today = datetime.now(UTC).astimezone(ZoneInfo(venue.timezone)).date()
    day = today + timedelta(days=days_ahead)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def window_params(venue, day: date, days: int = 1) -> dict:
    start = at(venue, day, "00:00")
    return {
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(days=days)).isoformat(),
    }


def test_search_one_space_anonymously(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue, features=["projector"], capacity=12)
    set_opening_hours(venue, 9 * 60, 17 * 60)
    day = future_day(venue)
    book(room, at(venue, day, "10:00"), at(venue, day, "11:00"))
    response = anon_client.get(
        SEARCH, {**window_params(venue, day), "space_id": str(room.id), "duration": 60}
    )
    assert response.status_code == 200, response.json()
    (item,) = response.json()
    expected_space = {
        "id": str(room.id),
        "name": room.name,
        "venue_id": str(venue.id),
        "capacity": 12,
        "features": ["projector"],
    }
    assert item["space"] == expected_space and item["facility"] == expected_space
    utc = ZoneInfo("UTC")
    assert item["available_slots"] == [
        {
            "start_time": at(venue, day, a)
            .astimezone(utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": at(venue, day, b)
            .astimezone(utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_minutes": minutes,
        }
        for a, b, minutes in (("09:00", "10:00", 60), ("11:00", "17:00", 360))
    ]
    assert item["next_available"] == item["available_slots"][0]["start_time"]


def test_facility_id_and_the_path_without_slash_work(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue)
    params = {**window_params(venue, future_day(venue)), "facility_id": str(room.id)}
    for path in (SEARCH, SEARCH.rstrip("/")):
        response = anon_client.get(path, params)
        assert response.status_code == 200, response.content
        assert [item["facility"]["id"] for item in response.json()] == [str(room.id)]


def test_venue_search_lists_bookable_spaces_with_capacity_and_features(
    org, anon_client
):
    venue = make_venue(org)
    match = make_space(venue, name="A", capacity=30, features=["projector", "stage"])
    make_space(venue, name="B", capacity=10, features=["projector", "stage"])
    make_space(venue, name="C", capacity=50, features=["projector"])
    make_space(
        venue, name="D", capacity=50, features=["projector", "stage"], is_bookable=False
    )
    make_space(make_venue(org), name="E", capacity=50, features=["projector", "stage"])
    response = anon_client.get(
        SEARCH,
        {
            **window_params(venue, future_day(venue)),
            "venue_id": str(venue.id),
            "min_capacity": "20",
            "features": "stage, projector",
        },
    )
    assert response.status_code == 200, response.json()
    assert [item["space"]["id"] for item in response.json()] == [str(match.id)]


def test_space_search_that_does_not_match_the_filters_is_empty(org, anon_client):
    venue = make_venue(org)
    room = make_space(venue, capacity=5)
    response = anon_client.get(
        SEARCH,
        {
            **window_params(venue, future_day(venue)),
            "space_id": str(room.id),
            "min_capacity": 6,
        },
    )
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(
    ("change", "slug", "field"),
    [
        ({"start_time": None}, "missing-parameter", "start_time"),
        ({"end_time": None}, "missing-parameter", "end_time"),
        ({"start_time": "2030-01-01T09:00:00"}, "invalid-timestamp", "start_time"),
        ({"end_time": "next tuesday"}, "invalid-timestamp", "end_time"),
        ({"end_time": "START"}, "invalid-window", "end_time"),
        ({"end_time": "START+32d"}, "window-too-long", "end_time"),
        ({"space_id": None}, "missing-parameter", "space_id"),
        ({"space_id": "not-a-uuid"}, "invalid-id", "space_id"),
        ({"facility_id": "OTHER"}, "conflicting-parameters", "space_id"),
        ({"venue_id": "VENUE"}, "conflicting-parameters", "venue_id"),
        ({"space_id": "UNKNOWN"}, "unknown-space", "space_id"),
        ({"space_id": None, "venue_id": "UNKNOWN"}, "unknown-venue", "venue_id"),
        ({"space_id": None, "venue_id": "ARCHIVED"}, "unknown-venue", "venue_id"),
        ({"space_id": "STORE"}, "space-not-bookable", "space_id"),
        ({"duration": "abc"}, "invalid-duration", "duration"),
        ({"duration": "0"}, "invalid-duration", "duration"),
        ({"duration": "20"}, "invalid-duration", "duration"),
        ({"duration": "495"}, "invalid-duration", "duration"),
        ({"min_capacity": "-1"}, "invalid-min-capacity", "min_capacity"),
        ({"min_capacity": "many"}, "invalid-min-capacity", "min_capacity"),
        ({"features": "x" * 51}, "invalid-features", "features"),
    ],
)
def test_bad_input_is_a_400_problem_with_its_own_type(
    org, anon_client, change, slug, field
):
    venue = make_venue(org)
    room = make_space(venue)
    other = make_space(venue)
    store = make_space(venue, is_bookable=False)
    archived = make_venue(org, archived_at=NOW)
    day = future_day(venue)
    params = {**window_params(venue, day), "space_id": str(room.id)}
    start = at(venue, day, "00:00")
    replacements = {
        "START": start.isoformat(),
        "START+32d": (start + timedelta(days=32)).isoformat(),
        "OTHER": str(other.id),
        "VENUE": str(venue.id),
        "UNKNOWN": "00000000-0000-4000-8000-000000000000",
        "ARCHIVED": str(archived.id),
        "STORE": str(store.id),
    }
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = replacements.get(value, value)
    response = anon_client.get(SEARCH, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM + slug
    assert field in body["errors"] and body["detail"]


def test_the_search_is_described_in_the_openapi_schema(anon_client):
    response = anon_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/availability/search/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"start_time", "end_time", "space_id", "facility_id", "venue_id"} <= names
    assert {"duration", "min_capacity", "features"} <= names
    assert "200" in operation["responses"] and "400" in operation["responses"]
    assert "/api/v1/availability/search" not in response.json()["paths"]


def _venue_with_spaces(org, count: int):
    venue = make_venue(org)
    set_opening_hours(venue, 8 * 60, 20 * 60)
    hall = make_space(venue)
    spaces = [hall]
    for n in range(count - 1):
        spaces.append(make_space(venue, parent=spaces[n // 3]))
    day = future_day(venue)
    parents = {space.parent_id for space in spaces}
    leaves = [space for space in spaces if space.id not in parents]
    for n, space in enumerate(leaves):
        begin = at(venue, day + timedelta(days=n % 5), "09:00") + timedelta(hours=n % 4)
        book(space, begin, begin + timedelta(hours=1))
    Closure.objects.create(
        venue=venue,
        space=spaces[1],
        start_time=at(venue, day, "18:00"),
        end_time=at(venue, day, "19:00"),
    )
    return venue, day


@pytest.mark.parametrize("count", [3, 30])
def test_venue_search_costs_a_fixed_number_of_queries(
    org, anon_client, django_assert_num_queries, count
):
    venue, day = _venue_with_spaces(org, count)
    params = {**window_params(venue, day, days=7), "venue_id": str(venue.id)}
    # Inside a transaction, so uncached (tests/bookings/test_read_cache.py has
    # the cached path): venue, its spaces (the tree), opening hours, closures,
    # claims
    with django_assert_num_queries(5):
        response = anon_client.get(SEARCH, params)
    assert response.status_code == 200
    assert len(response.json()) == count


@pytest.mark.parametrize("days", [1, 31])
def test_space_search_costs_a_fixed_number_of_queries(
    org, anon_client, django_assert_num_queries, days
):
    venue, day = _venue_with_spaces(org, 5)
    room = venue.spaces.filter(parent__isnull=False).first()
    params = {**window_params(venue, day, days=days), "space_id": str(room.id)}
    # Uncached, as above: the space's venue id, then the venue, its spaces,
    # opening hours, closures, claims
    with django_assert_num_queries(6):
        response = anon_client.get(SEARCH, params)
    assert response.status_code == 200


def test_fast_availability_json_matches_the_documented_serializer(org):
    """The API renders results with `availability_json`; the schema documents
    `SpaceAvailabilityOut`. They must never drift apart."""
    from venueos.bookings.serializers import (
        SpaceAvailabilityOut,
        availability_json,
    )

    venue = make_venue(org, timezone="Europe/Berlin")
    hall = make_space(venue, name="Hall", features=["stage"])
    room = make_space(venue, hall, name="Room")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
        days=3
    )
    Booking.objects.create(
        venue=venue, space=room, user=make_user(), created_by=make_user(),
        start_time=start + timedelta(hours=2), end_time=start + timedelta(hours=3), title="x",
    )  # fmt: skip
    results = space_availability(
        spaces=[hall, room], start=start, end=start + timedelta(days=1)
    )
    assert any(result.available_slots for result in results)
    assert [availability_json(r) for r in results] == SpaceAvailabilityOut(
        results, many=True
    ).data
