"""A database that is down or unreachable is a 503 problem with Retry-After,
never a 500 (the crash scenario in test_database_crash.py does it for real)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.security.helpers import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        OperationalError("couldn't get a connection after 3.00 sec"),
        InterfaceError("the connection is closed"),
    ],
)
def test_a_lost_database_is_a_503_problem(monkeypatch, error):
    def lost(**kwargs):
        raise error

    monkeypatch.setattr("venueos.venues.selectors.venue_list", lost)
    response = Client(raise_request_exception=False).get("/api/v1/venues/")
    body = assert_problem(response, 503, "unavailable")
    assert response["Retry-After"] == "1"
    assert "closed" not in body["detail"] and "sec" not in body["detail"]


def test_a_database_lost_while_a_job_is_deferred_is_a_503_problem(monkeypatch):
    """procrastinate wraps the database's error in its own exception (seen in
    the crash scenario: the connection died under a booking's e-mail job)."""
    import psycopg
    from procrastinate.exceptions import ConnectorException

    def lost(**kwargs):
        try:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        except psycopg.OperationalError as exc:
            raise ConnectorException() from exc

    monkeypatch.setattr("venueos.venues.selectors.venue_list", lost)
    response = Client(raise_request_exception=False).get("/api/v1/venues/")
    assert_problem(response, 503, "unavailable")
    assert response["Retry-After"] == "1"


def test_other_job_queue_errors_stay_errors(monkeypatch):
    from procrastinate.exceptions import ConnectorException

    def broken(**kwargs):
        try:
            raise ValueError("not a database outage")
        except ValueError as exc:
            raise ConnectorException() from exc

    monkeypatch.setattr("venueos.venues.selectors.venue_list", broken)
    response = Client(raise_request_exception=False).get("/api/v1/venues/")
    assert response.status_code == 500


def test_a_web_page_says_so_in_words(monkeypatch):
    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("venueos.web.views.public.venue_list", lost)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert b"try again" in response.content.lower()


def test_the_pool_waits_no_longer_than_the_lock_timeout(monkeypatch):
    from venueos.settings import _database_from_url

    monkeypatch.setenv("VENUEOS_DB_POOL", "4")
    options = _database_from_url("postgresql://u:p@127.0.0.1:5432/x")["OPTIONS"]
    assert options["pool"]["timeout"] == 3.0
    assert options["connect_timeout"] == 3


def test_when_no_connection_can_be_had_requests_fail_fast_for_a_moment(monkeypatch):
    """A pool timeout means every request would wait it out: the next ones in
    this process get their 503 at once, then the database is tried again."""
    from psycopg_pool import PoolTimeout

    from venueos.common.middleware import DatabaseUnavailableMiddleware

    calls = []

    def unreachable(**kwargs):
        calls.append(1)
        error = OperationalError("couldn't get a connection after 3.00 sec")
        error.__cause__ = PoolTimeout("couldn't get a connection after 3.00 sec")
        raise error

    monkeypatch.setattr("venueos.venues.selectors.venue_list", unreachable)
    monkeypatch.setattr(DatabaseUnavailableMiddleware, "_unreachable_until", 0.0)
    client = Client(raise_request_exception=False)
    assert client.get("/api/v1/venues/").status_code == 503
    assert client.get("/api/v1/venues/").status_code == 503
    assert len(calls) == 1  # the second never reached the view
    monkeypatch.setattr(DatabaseUnavailableMiddleware, "_unreachable_until", 0.0)
    assert client.get("/api/v1/venues/").status_code == 503
    assert len(calls) == 2
