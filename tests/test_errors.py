"""Every API error is an RFC 9457 problem: application/problem+json with
type, title, status and detail, whatever part of the stack produced it."""

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import client_for
from venueos.common.throttling import SharedRateThrottle

pytestmark = pytest.mark.django_db

PROBLEM_BASE = "https://venueos.dev/problems/"


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM_BASE)
    if slug is not None:
        assert body["type"] == PROBLEM_BASE + slug
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def _venue_body(**overrides):
    return {"name": "Hall", "timezone": "Europe/Berlin", "max_capacity": 10} | overrides


def test_401_when_not_signed_in(anon_client):
    response = anon_client.get("/api/v1/me/")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_401_for_a_malformed_authorization_header(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert_problem(anon_client.get("/api/v1/me/"), 401, "not-authenticated")


def test_403_when_not_allowed(customer):
    response = client_for(customer).post(
        "/api/v1/organizations/", {"name": "Mine"}, format="json"
    )
    assert_problem(response, 403, "permission-denied")


def test_404_for_an_unknown_id(anon_client):
    response = anon_client.get(f"/api/v1/venues/{uuid.uuid4()}/")
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/venues/not-a-uuid/",
        "/api/v1/spaces/123/",
        "/api/v1/no-such-endpoint/",
    ],
)
def test_404_for_a_path_that_matches_no_route(anon_client, path):
    assert_problem(anon_client.get(path), 404, "not-found")


def test_405_for_an_unsupported_method(anon_client):
    response = anon_client.put("/api/v1/venues/", {}, format="json")
    body = assert_problem(response, 405, "method-not-allowed")
    assert "PUT" in body["detail"]
    assert "POST" in response["Allow"]


def test_400_for_malformed_json(manager):
    response = client_for(manager).generic(
        "POST",
        "/api/v1/venues/",
        '{"name": "Hall", "timezone": ',
        content_type="application/json",
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "JSON" in body["detail"]


def test_400_for_a_json_body_that_is_not_an_object(manager):
    response = client_for(manager).post("/api/v1/venues/", [1, 2], format="json")
    assert_problem(response, 400, "validation-error")


def test_415_for_form_data(manager):
    response = client_for(manager).post("/api/v1/venues/", _venue_body())
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in body["detail"]


def test_429_when_throttled_with_retry_after(anon_client, monkeypatch):
    monkeypatch.setattr(
        SharedRateThrottle, "THROTTLE_RATES", {"login": "2/minute"}, raising=True
    )
    bad_login = {"email": "nobody@example.com", "password": "wrong-password"}
    statuses = [
        anon_client.post("/api/v1/auth/tokens/", bad_login, format="json").status_code
        for _ in range(2)
    ]
    assert statuses == [401, 401]
    response = anon_client.post("/api/v1/auth/tokens/", bad_login, format="json")
    body = assert_problem(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["retry_after"] == retry_after


def test_throttling_is_per_scope_not_global(anon_client, monkeypatch):
    monkeypatch.setattr(SharedRateThrottle, "THROTTLE_RATES", {"login": "1/minute"})
    anon_client.post("/api/v1/auth/tokens/", {}, format="json")
    throttled = anon_client.post("/api/v1/auth/tokens/", {}, format="json")
    assert throttled.status_code == 429
    assert anon_client.get("/api/v1/venues/").status_code == 200


def test_400_for_a_string_over_its_maximum_length(manager):
    response = client_for(manager).post(
        "/api/v1/venues/", _venue_body(name="x" * 201), format="json"
    )
    body = assert_problem(response, 400, "validation-error")
    assert list(body["errors"]) == ["name"]
    assert "200" in body["errors"]["name"][0]


def test_a_name_of_exactly_the_maximum_length_is_accepted(manager):
    response = client_for(manager).post(
        "/api/v1/venues/", _venue_body(name="x" * 200), format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_capacity", "abc"),
        ("max_capacity", 0),
        ("max_capacity", [1]),
        ("name", {"a": 1}),
        ("settings", "not an object"),
        ("slot_minutes", 1.5),
    ],
)
def test_400_for_a_wrong_type_names_the_field(manager, field, value):
    response = client_for(manager).post(
        "/api/v1/venues/", _venue_body(**{field: value}), format="json"
    )
    body = assert_problem(response, 400, "validation-error")
    assert field in body["errors"]
    assert field in body["detail"]


def test_400_lists_every_missing_field(manager):
    response = client_for(manager).post("/api/v1/venues/", {}, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert {"name", "timezone", "max_capacity"} <= set(body["errors"])


def test_500_is_a_problem_too(monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("venueos.venues.selectors.venue_list", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/venues/")
    body = assert_problem(response, 500, "server-error")
    assert "boom" not in body["detail"]


def test_every_error_carries_a_request_id():
    response = APIClient().get("/api/v1/me/", HTTP_X_REQUEST_ID="trace-123")
    assert response["X-Request-ID"] == "trace-123"


# Inputs PostgreSQL or Python's datetime cannot hold: each must be a clear 400,
# never a 500 from deep inside a query or a time-zone conversion.


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/venues/?q=%00abc",
        "/api/v1/venues/?organization=%00",
        "/api/v1/availability/search?venue_id=00000000-0000-0000-0000-000000000000&features=a%00b",
    ],
)
def test_nul_characters_in_query_parameters_are_refused(anon_client, path):
    body = assert_problem(anon_client.get(path), 400, "validation-error")
    assert "NUL" in body["detail"]


def test_nul_characters_in_admin_search_are_refused_too(admin):
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/venues/venue/?q=%00").status_code == 400


def test_nul_characters_anywhere_in_a_json_body_are_refused(manager, venue):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/",
        '{"settings": {"nested": ["ok", "bad\\u0000"]}}',
        content_type="application/json",
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "NUL" in body["detail"]


@pytest.mark.parametrize("stamp", ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00+05:00"])
def test_timestamps_outside_the_supported_years_are_refused(manager, venue, stamp):
    response = client_for(manager).post(
        f"/api/v1/venues/{venue.id}/closures/",
        {"start_time": stamp, "end_time": stamp, "reason": "x"},
        format="json",
    )
    body = assert_problem(response, 400, "validation-error")
    assert "between the years" in body["errors"]["start_time"][0]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=9999-12-31&end_date=9999-12-31",
        "start_date=0001-01-01",
        "end_date=2027-1-1",
    ],
)
def test_my_bookings_refuses_dates_it_cannot_handle(customer, query):
    response = client_for(customer).get(f"/api/v1/me/bookings/?{query}")
    assert_problem(response, 400, "invalid-date")


def test_numbers_too_large_to_store_are_refused(manager, venue):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/",
        '{"settings": {"a": 1e400}}',
        content_type="application/json",
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "finite" in body["detail"]
