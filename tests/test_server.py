"""The production stack end to end: `venueos serve` (uvicorn, the ASGI
application with its thread pool) in a real process on a real port, against
the test database. The Django test client bypasses the server, so only this
catches a server-side break (request bodies, headers, problem responses)."""

from __future__ import annotations

import httpx
import pytest

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import PASSWORD, make_space, make_user
from tests.security.helpers import app_database_url
from tests.servers import serve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server():
    # As served: the application's restricted role.
    with serve(app_database_url(), workers=1) as base:
        yield base


def test_the_served_api_books_refuses_and_explains_over_real_http(server, venue):
    room = make_space(venue)
    user = make_user()
    with httpx.Client(base_url=server, timeout=10) as http:
        token = http.post(
            "/api/v1/auth/tokens/", json={"email": user.email, "password": PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        day = future_day(20)
        body = {
            "space_id": str(room.id),
            "start_time": iso(at(day, "10:00")),
            "end_time": iso(at(day, "11:00")),
            "title": "Served",
        }
        created = http.post("/api/v1/bookings/", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["title"] == "Served"
        assert created.headers["X-Request-ID"]
        clash = http.post("/api/v1/bookings/", json=body, headers=headers)
        assert clash.status_code == 409
        assert clash.headers["Content-Type"] == "application/problem+json"
        malformed = http.post(
            "/api/v1/bookings/",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        )
        assert malformed.status_code == 400
        assert malformed.json()["type"].endswith("/malformed-request")
        assert http.get("/api/docs/").status_code == 200
