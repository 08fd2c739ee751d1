"""A served API request frees everything it made by reference counting alone:
nothing is left in a reference cycle for Python's cycle collector, whose full
collections stop a worker for tens of milliseconds under load
(`ReleaseRequestMiddleware`, `ApiView`, `unbind`)."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import PASSWORD, make_space, make_user
from tests.events.helpers import make_event, set_sold
from venueos.accounts.services import token_create
from venueos.testing.wsgi import wsgi_caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def served():
    """Django's WSGI handler as a server calls it: the response iterated, then
    closed. The test's transaction stays open across requests (as Django's
    test client arranges)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call = wsgi_caller(WSGIHandler())

    def status_of(method: str, path: str, token: str | None, body: dict | None):
        return int(call(method, path, body, token).split()[0])

    yield status_of
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _cyclic_garbage(call, *request) -> tuple[int, Counter]:
    """(status, what one request left for the cycle collector, by type)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        status = call(*request)
        gc.collect()
        garbage = Counter(type(item).__qualname__ for item in gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return status, garbage


def _token(auth):
    """A fixed token, or a new buyer's (one registration each)."""
    return auth() if callable(auth) else auth


def test_api_requests_leave_no_reference_cycles(served, venue, customer):
    space = make_space(venue, name="Room", capacity=10)
    _, token = token_create(email=customer.email, password=PASSWORD)
    day = future_day()
    hours = iter(range(1, 100))

    def booking(hour: int | None = None) -> dict:
        start = at(
            day + timedelta(days=hour if hour is not None else next(hours)), "10:00"
        )
        return {
            "space_id": str(space.id),
            "start_time": iso(start),
            "end_time": iso(start + timedelta(hours=1)),
            "title": "Meeting",
        }

    window = urlencode(
        {
            "space_id": str(space.id),
            "start_time": iso(at(day, "00:00")),
            "end_time": iso(at(day + timedelta(days=7), "00:00")),
        }
    )
    event = make_event(venue, capacity=1000)
    sold_out = make_event(venue, capacity=5)
    set_sold(sold_out, 5)
    buyers = iter(
        token_create(email=make_user().email, password=PASSWORD)[1] for _ in range(3)
    )
    requests = {
        "health": ("GET", "/health/live", None, None),
        "my bookings": ("GET", "/api/v1/me/bookings/", token, None),
        "availability": ("GET", f"/api/v1/availability/search?{window}", token, None),
        "create": ("POST", "/api/v1/bookings/", token, booking),
        "conflict": ("POST", "/api/v1/bookings/", token, lambda: booking(0)),
        "invalid": ("POST", "/api/v1/bookings/", token, lambda: {"title": "x"}),
        "sale": (
            "POST",
            f"/api/v1/events/{event.id}/registrations/",
            lambda: next(buyers),
            lambda: {"quantity": 1},
        ),
        "sold out": (
            "POST",
            f"/api/v1/events/{sold_out.id}/registrations/",
            token,
            lambda: {"quantity": 1},
        ),
    }
    expected = {
        "health": 200,
        "my bookings": 200,
        "availability": 200,
        "create": 201,
        "conflict": 409,
        "invalid": 400,
        "sale": 201,
        "sold out": 409,
    }
    served("POST", "/api/v1/bookings/", token, booking(0))
    for name, (method, path, auth, body) in requests.items():
        for _ in range(2):  # warm: first-use caches are not garbage
            served(method, path, _token(auth), body() if body else None)
        status, garbage = _cyclic_garbage(
            served, method, path, _token(auth), body() if body else None
        )
        assert status == expected[name], name
        assert not garbage, f"{name} left {sum(garbage.values())} objects: {garbage}"


def test_every_api_view_of_ours_is_an_api_view():
    """New views must not bring the view's cycles back."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from rest_framework.views import APIView

    from venueos.common.api import ApiView

    def views(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                if view_class is not None and issubclass(view_class, APIView):
                    yield view_class

    ours = {
        v
        for v in views(get_resolver().url_patterns)
        if v.__module__.startswith("venueos.")
    }
    assert len(ours) > 30
    assert {v.__name__ for v in ours if not issubclass(v, ApiView)} == set()
