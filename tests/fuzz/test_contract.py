"""Input the OpenAPI schema forbids is refused (the fuzzer found these
accepted): every request is held to the schema the API publishes."""

import pytest

from tests.conftest import client_for
from tests.security.helpers import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, field, slug",
    [
        ("/api/v1/organizations/?offset=null", "offset", "invalid-offset"),
        ("/api/v1/organizations/?limit=ten", "limit", "invalid-limit"),
        ("/api/v1/bookings/?venue_id=", "venue_id", "invalid-id"),
        ("/api/v1/events/?venue_id=not-a-uuid", "venue_id", "invalid-id"),
        ("/api/v1/me/bookings/?start_date=", "start_date", "invalid-date"),
        ("/api/v1/events/?status=sold", "status", "validation-error"),
        ("/api/v1/events/?upcoming=maybe", "upcoming", "validation-error"),
        ("/api/v1/organizations/?offset=1&offset=2", "offset", "validation-error"),
    ],
)
def test_query_parameters_must_match_the_schema(admin, path, field, slug):
    body = assert_problem(client_for(admin).get(path), 400, slug)
    assert list(body["errors"]) == [field]


def test_documented_spellings_still_work(admin, venue):
    client = client_for(admin)
    assert client.get(f"/api/v1/venues/{venue.id}/spaces/?tree=1").status_code == 200
    assert client.get("/api/v1/events/?upcoming=true").status_code == 200
    assert client.get("/api/v1/organizations/?limit=5&offset=0").status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Org", "slug": 0}, "slug"),
        ({"name": 12}, "name"),
        ({"name": None}, "name"),
        ({"name": True}, "name"),
    ],
)
def test_json_properties_must_have_the_declared_type(admin, body, field):
    response = client_for(admin).post("/api/v1/organizations/", body, format="json")
    problem = assert_problem(response, 400, "validation-error")
    assert field in problem["errors"]


def test_nested_items_are_checked_too(manager, venue):
    response = client_for(manager).put(
        f"/api/v1/venues/{venue.id}/opening-hours/",
        [{"weekday": "monday", "opens": "08:00", "closes": "18:00"}],
        format="json",
    )
    problem = assert_problem(response, 400, "validation-error")
    assert "[0].weekday" in problem["errors"]
