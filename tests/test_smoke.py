import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_venue_list_is_public_and_paginated(venue, anon_client):
    response = anon_client.get("/api/v1/venues/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["slug"] == venue.slug


def test_unknown_api_path_is_a_problem(anon_client):
    response = anon_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "https://venueos.dev/problems/not-found"


def test_manager_creates_a_venue_with_default_policy(manager):
    response = client_for(manager).post(
        "/api/v1/venues/",
        {"name": "Town Hall", "timezone": "Europe/Paris", "max_capacity": 300},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "town-hall"
    assert (
        body["slot_minutes"],
        body["min_duration_minutes"],
        body["max_duration_minutes"],
    ) == (15, 15, 480)
