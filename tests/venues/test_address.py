"""The structured venue address: kept exactly as sent, checked, searchable,
and old free-text addresses migrated into it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import client_for, make_venue
from venueos.venues.addresses import format_address

ADDRESS = {
    "street": "Friedrichstraße 100",
    "city": "Berlin",
    "postcode": "10117",
    "region": "Berlin",
    "country": "DE",
    "floor": "3",
    "geo": {"lat": 52.52, "lon": 13.39},
}


def _create(client, **fields):
    return client.post(
        "/api/v1/venues/",
        {"name": "Hall", "timezone": "Europe/Berlin", "max_capacity": 10, **fields},
        format="json",
    )


@pytest.mark.django_db
def test_an_address_comes_back_exactly_as_sent(manager):
    client = client_for(manager)
    response = _create(client, address=ADDRESS)
    assert response.status_code == 201, response.json()
    assert response.json()["address"] == ADDRESS
    venue_id = response.json()["id"]
    assert client.get(f"/api/v1/venues/{venue_id}/").json()["address"] == ADDRESS
    changed = {"city": "Potsdam", "country": "DE"}
    response = client.patch(
        f"/api/v1/venues/{venue_id}/", {"address": changed}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["address"] == changed


@pytest.mark.django_db
def test_no_address_is_an_empty_object_and_a_string_becomes_the_street(manager):
    client = client_for(manager)
    assert _create(client).json()["address"] == {}
    response = _create(client, slug="other", address="  Main Street 1, Springfield ")
    assert response.json()["address"] == {"street": "Main Street 1, Springfield"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        {"country": "de"},
        {"country": "XX"},
        {"country": "DEU"},
        {"city": 12},
        {"street": "x" * 201},
        ["Main Street"],
        {f"k{i}": "v" for i in range(31)},
    ],
)
def test_bad_addresses_are_400s(manager, address):
    response = _create(client_for(manager), address=address)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invalid-address")
    assert "address" in response.json()["errors"]


@pytest.mark.django_db
def test_venues_are_found_by_a_part_of_their_address(org):
    make_venue(org, name="A", address=ADDRESS)
    make_venue(org, name="B", address={"city": "Hamburg"})
    response = client_for(None).get("/api/v1/venues/", {"q": "friedrich"})
    assert [v["name"] for v in response.json()["results"]] == ["A"]


def test_format_address():
    assert format_address(ADDRESS) == "Friedrichstraße 100, 10117 Berlin, Berlin, DE"
    assert format_address({"city": "Berlin"}) == "Berlin"
    assert format_address({}) == ""
    assert format_address("Old text") == "Old text"


@pytest.mark.django_db(transaction=True)
def test_old_text_addresses_are_migrated_into_the_street(org):
    executor = MigrationExecutor(connection)
    executor.migrate([("venues", "0003_space_buffers")])
    try:
        with connection.cursor() as cursor:
            for slug, text in (("old", "Messedamm 22, 14055 Berlin"), ("none", "")):
                cursor.execute(
                    "INSERT INTO venues_venue (id, organization_id, name, slug, "
                    "timezone, address, max_capacity, slot_minutes, "
                    "min_duration_minutes, max_duration_minutes, "
                    "booking_horizon_days, settings, created_at, updated_at) "
                    "VALUES (gen_random_uuid(), %s, %s, %s, 'UTC', %s, 1, 15, 15, "
                    "60, 30, '{}', now(), now())",
                    [org.id, slug, slug, text],
                )
        executor = MigrationExecutor(connection)
        executor.migrate([("venues", "0004_structured_address")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    from venueos.venues.models import Venue

    addresses = dict(Venue.objects.values_list("slug", "address"))
    assert addresses == {
        "old": {"street": "Messedamm 22, 14055 Berlin"},
        "none": {},
    }
