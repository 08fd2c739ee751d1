"""Shared by the security tests: the problem shape and the test database as
the application's role."""

from __future__ import annotations

import os

from tests.servers import database_url

PROBLEM_BASE = "https://venueos.dev/problems/"


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if slug is not None:
        assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    return body


def app_database_url() -> str:
    """The test database as the application's role (see the pytest plugin)."""
    return database_url(
        user=os.environ["VENUEOS_APP_ROLE"],
        password=os.environ["VENUEOS_APP_PASSWORD"],
    )
