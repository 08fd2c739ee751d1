"""Finding 7: input that used to reach a 500 (or an HTML page) is refused as a
problem+json 400 or 413, whatever the endpoint."""

import json

import pytest
from django.test import override_settings

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PROBLEM_BASE = "https://venueos.dev/problems/"


def _assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    return body


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(manager, depth):
    body = '{"name": "Hall", "settings": ' + "[" * depth + "]" * depth + "}"
    response = client_for(manager).post(
        "/api/v1/venues/", body, content_type="application/json"
    )
    problem = _assert_problem(response, 400, "malformed-request")
    assert "nested" in problem["detail"]


def test_moderately_nested_settings_are_still_accepted(manager, venue):
    nested = json.loads("[" * 20 + "]" * 20)
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/",
        {"settings": {"layout": nested}},
        format="json",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "fragment",
    [
        '{"settings": {"note": "\\ud800"}}',
        '{"settings": {"\\udfff": 1}}',
        '{"name": "Hall \\ud83d"}',
    ],
)
def test_a_lone_surrogate_is_a_400(manager, venue, fragment):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/", fragment, content_type="application/json"
    )
    problem = _assert_problem(response, 400, "malformed-request")
    assert "surrogate" in problem["detail"]


def test_a_surrogate_pair_is_an_ordinary_character(manager, venue):
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/",
        '{"name": "Hall \\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Hall \U0001f600"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_body_over_the_size_limit_is_a_413_problem(manager, venue):
    body = json.dumps({"settings": {"blob": "x" * 20_000}})
    response = client_for(manager).patch(
        f"/api/v1/venues/{venue.id}/", body, content_type="application/json"
    )
    problem = _assert_problem(response, 413, "payload-too-large")
    assert "10000" in problem["detail"] or "10,000" in problem["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_an_over_size_body_to_an_anonymous_endpoint_is_a_413_too(anon_client):
    body = json.dumps({"email": "a@example.com", "password": "x" * 20_000})
    response = anon_client.post(
        "/api/v1/auth/register/", body, content_type="application/json"
    )
    _assert_problem(response, 413, "payload-too-large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_body_without_content_length_is_capped_by_the_parser():
    """Chunked uploads declare no length; the parser reads one byte past the
    limit and stops."""
    import io

    from venueos.common.parsers import StrictJSONParser
    from venueos.common.problems import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        StrictJSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 1000 + b'"}'))
    assert StrictJSONParser().parse(io.BytesIO(b'{"a": "x"}')) == {"a": "x"}
