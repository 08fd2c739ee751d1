"""Opening hours, closures and venue time zones over HTTP."""

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import client_for, make_space, make_venue
from venueos.venues.models import Closure, OpeningHours

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _put_hours(client, venue, rows):
    return client.put(f"/api/v1/venues/{venue.id}/opening-hours/", rows, format="json")


def _hours(weekday, opens, closes):
    return {"weekday": weekday, "opens": opens, "closes": closes}


def test_put_replaces_the_weekly_rules_and_get_shows_them(manager, venue, anon_client):
    client = client_for(manager)
    _put_hours(client, venue, [_hours(0, "08:00", "20:00")])
    rows = [_hours(1, "13:00", "17:00"), _hours(1, "08:00", "12:00")]
    response = _put_hours(client, venue, rows)
    assert response.status_code == 200, response.json()
    expected = [_hours(1, "08:00", "12:00"), _hours(1, "13:00", "17:00")]
    assert response.json() == expected
    assert anon_client.get(f"/api/v1/venues/{venue.id}/opening-hours/").json() == (
        expected
    )


def test_touching_intervals_are_allowed(manager, venue):
    response = _put_hours(
        client_for(manager),
        venue,
        [_hours(2, "08:00", "12:00"), _hours(2, "12:00", "18:00")],
    )
    assert response.status_code == 200


def test_overlapping_intervals_on_one_day_are_rejected(manager, venue):
    _put_hours(client_for(manager), venue, [_hours(3, "07:00", "08:00")])
    response = _put_hours(
        client_for(manager),
        venue,
        [_hours(0, "08:00", "12:00"), _hours(0, "11:30", "18:00")],
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://venueos.dev/problems/invalid-opening-hours"
    assert body["errors"]
    # Nothing was replaced.
    assert list(OpeningHours.objects.values_list("weekday", flat=True)) == [3]


def test_same_times_on_different_days_do_not_overlap(manager, venue):
    response = _put_hours(
        client_for(manager),
        venue,
        [_hours(day, "09:00", "17:00") for day in range(7)],
    )
    assert response.status_code == 200
    assert OpeningHours.objects.filter(venue=venue).count() == 7


@pytest.mark.parametrize("opens, closes", [("10:00", "10:00"), ("18:00", "09:00")])
def test_opening_at_or_after_closing_is_rejected(manager, venue, opens, closes):
    response = _put_hours(client_for(manager), venue, [_hours(0, opens, closes)])
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == (
        "https://venueos.dev/problems/invalid-opening-hours"
    )
    assert not OpeningHours.objects.exists()


def test_closing_at_24_00_means_end_of_day(manager, venue):
    response = _put_hours(client_for(manager), venue, [_hours(4, "18:00", "24:00")])
    assert response.status_code == 200, response.json()
    assert response.json() == [_hours(4, "18:00", "24:00")]
    assert OpeningHours.objects.get(venue=venue).closes_minute == 24 * 60


@pytest.mark.parametrize(
    "bad", ["25:00", "24:30", "9:00", "09:60", "0900", "09:00\n", "", 900]
)
def test_malformed_times_are_rejected_with_the_field_named(manager, venue, bad):
    response = _put_hours(client_for(manager), venue, [_hours(0, "08:00", bad)])
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "[0].closes" in response.json()["errors"]
    assert not OpeningHours.objects.exists()


@pytest.mark.parametrize("weekday", [-1, 7])
def test_weekday_outside_monday_to_sunday_is_rejected(manager, venue, weekday):
    response = _put_hours(
        client_for(manager), venue, [_hours(weekday, "08:00", "09:00")]
    )
    assert response.status_code == 400
    assert "[0].weekday" in response.json()["errors"]


def test_opening_hours_body_must_be_a_list(manager, venue):
    response = _put_hours(client_for(manager), venue, _hours(0, "08:00", "09:00"))
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_database_refuses_overlapping_opening_hours(venue):
    OpeningHours.objects.create(
        venue=venue, weekday=0, opens_minute=480, closes_minute=720
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        OpeningHours.objects.create(
            venue=venue, weekday=0, opens_minute=600, closes_minute=900
        )


# --- closures ---------------------------------------------------------------


def test_manager_adds_a_closure_and_reads_it_back_in_utc(manager, venue):
    client = client_for(manager)
    response = client.post(
        f"/api/v1/venues/{venue.id}/closures/",
        {
            "start_time": "2030-12-24T00:00:00+01:00",
            "end_time": "2030-12-27T00:00:00+01:00",
            "reason": "Christmas",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start_time"] == "2030-12-23T23:00:00Z"
    assert body["end_time"] == "2030-12-26T23:00:00Z"
    assert body["space_id"] is None
    listed = client.get(f"/api/v1/venues/{venue.id}/closures/").json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]


def test_closure_for_one_space_of_the_venue(manager, venue):
    space = make_space(venue)
    response = client_for(manager).post(
        f"/api/v1/venues/{venue.id}/closures/",
        {
            "start_time": "2030-01-01T08:00:00Z",
            "end_time": "2030-01-01T12:00:00Z",
            "space_id": str(space.id),
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["space_id"] == str(space.id)


def test_closure_for_a_space_of_another_venue_is_rejected(manager, org, venue):
    elsewhere = make_space(make_venue(org))
    response = client_for(manager).post(
        f"/api/v1/venues/{venue.id}/closures/",
        {
            "start_time": "2030-01-01T08:00:00Z",
            "end_time": "2030-01-01T12:00:00Z",
            "space_id": str(elsewhere.id),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "space_id" in response.json()["errors"]
    assert not Closure.objects.exists()


@pytest.mark.parametrize("field", ["start_time", "end_time"])
def test_closure_with_a_naive_timestamp_is_rejected_clearly(manager, venue, field):
    body = {
        "start_time": "2030-01-01T08:00:00+01:00",
        "end_time": "2030-01-01T12:00:00+01:00",
    }
    body[field] = "2030-01-01T10:00:00"
    response = client_for(manager).post(
        f"/api/v1/venues/{venue.id}/closures/", body, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    message = response.json()["errors"][field][0]
    assert "no time zone offset" in message
    assert "2030-01-01T10:00:00" in message
    assert not Closure.objects.exists()


def test_closure_ending_before_it_starts_is_rejected(manager, venue):
    response = client_for(manager).post(
        f"/api/v1/venues/{venue.id}/closures/",
        {"start_time": "2030-01-02T00:00:00Z", "end_time": "2030-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["type"] == "https://venueos.dev/problems/invalid-time-range"


def test_closures_are_for_managers_only_to_read(customer, venue):
    response = client_for(customer).get(f"/api/v1/venues/{venue.id}/closures/")
    assert response.status_code == 403


# --- venues and time zones ---------------------------------------------------


def test_unknown_time_zone_is_rejected(manager):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {"name": "Atlantis", "timezone": "Atlantis/Lost_City", "max_capacity": 10},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://venueos.dev/problems/invalid-timezone"
    assert "timezone" in body["errors"]


def test_changing_to_an_unknown_time_zone_is_rejected(manager, venue):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/", {"timezone": "Mars/Olympus"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "https://venueos.dev/problems/invalid-timezone"
    venue.refresh_from_db()
    assert venue.timezone == "Europe/Berlin"


def test_archived_venue_disappears_from_the_public_list(manager, venue, anon_client):
    assert client_for(manager).delete(f"/api/v1/venues/{venue.id}/").status_code == 204
    assert anon_client.get("/api/v1/venues/").json()["count"] == 0
    assert anon_client.get(f"/api/v1/venues/{venue.id}/").status_code == 404
    still_there = client_for(manager).get(f"/api/v1/venues/{venue.id}/")
    assert still_there.status_code == 200
    assert still_there.json()["archived_at"] is not None


def test_duplicate_venue_slug_in_one_organization_is_a_conflict(manager, venue):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {
            "name": "Copy",
            "slug": venue.slug,
            "timezone": "Europe/Berlin",
            "max_capacity": 10,
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["type"] == "https://venueos.dev/problems/slug-taken"


def test_slot_size_must_divide_the_day(manager):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {"name": "Odd", "timezone": "UTC", "max_capacity": 10, "slot_minutes": 7},
        format="json",
    )
    assert response.status_code == 400
    assert "slot_minutes" in response.json()["errors"]
