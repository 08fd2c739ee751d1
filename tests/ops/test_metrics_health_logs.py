"""/metrics, /health/ready and the request log line."""

from __future__ import annotations

import json
import logging
import sys
import time

import httpx
import pytest
from django.db import connection
from django.db.utils import OperationalError
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from tests.bookings.helpers import at, future_day, iso
from tests.conftest import client_for, make_space, make_user, set_opening_hours
from tests.servers import database_url, serve
from venueos.common.logs import logging_config

pytestmark = pytest.mark.django_db(transaction=True)


def _samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(text: str, name: str, **labels) -> float:
    return _samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_with_a_token_metrics_answer_its_bearer_only(settings):
    settings.VENUEOS_METRICS_TOKEN = "s3cret-metrics"
    local = APIClient()
    assert local.get("/metrics").status_code == 403
    remote = APIClient(REMOTE_ADDR="203.0.113.7")
    refused = remote.get("/metrics")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    wrong = remote.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 403
    allowed = remote.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain")


def test_no_token_configured_means_no_token_is_accepted(settings):
    settings.VENUEOS_METRICS_TOKEN = ""
    remote = APIClient(REMOTE_ADDR="203.0.113.7")
    assert remote.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_requests_are_counted_per_route_and_bookings_and_conflicts_too(venue):
    room = make_space(venue)
    set_opening_hours(venue, 0, 24 * 60)
    before = APIClient().get("/metrics").content.decode()
    client = client_for(make_user())
    day = future_day(15)
    body = {
        "space_id": str(room.id),
        "start_time": iso(at(day, "10:00")),
        "end_time": iso(at(day, "11:00")),
        "title": "Standup",
    }
    assert client.post("/api/v1/bookings/", body, format="json").status_code == 201
    assert client.post("/api/v1/bookings/", body, format="json").status_code == 409
    client.get(f"/api/v1/venues/{venue.id}/")
    after = APIClient().get("/metrics").content.decode()

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    route = "/api/v1/bookings/"
    assert (
        delta("venueos_http_requests_total", method="POST", route=route, status="201")
        == 1
    )
    assert (
        delta("venueos_http_requests_total", method="POST", route=route, status="409")
        == 1
    )
    assert (
        delta("venueos_http_request_duration_seconds_count", method="POST", route=route)
        == 2
    )
    venue_routes = {
        dict(labels)["route"]
        for (name, labels) in _samples(after)
        if name == "venueos_http_requests_total" and dict(labels)["method"] == "GET"
    }
    assert "/api/v1/venues/<uuid:venue_id>/" in venue_routes  # a pattern, not the id
    assert delta("venueos_bookings_created_total") == 1
    assert delta("venueos_booking_conflicts_total") == 1
    assert "venueos_stream_clients" in after
    assert 'venueos_task_queue_jobs{status="todo"}' in after
    assert "venueos_task_queue_oldest_waiting_seconds" in after


def test_ready_reports_the_task_queue_and_its_oldest_job(venue):
    room = make_space(venue)
    set_opening_hours(venue, 0, 24 * 60)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_events, procrastinate_jobs CASCADE")
    client = client_for(make_user())
    day = future_day(16)
    client.post(
        "/api/v1/bookings/",
        {
            "space_id": str(room.id),
            "start_time": iso(at(day, "10:00")),
            "end_time": iso(at(day, "11:00")),
            "title": "Standup",
        },
        format="json",
    )
    with connection.cursor() as cursor:  # as if it had waited a minute
        cursor.execute(
            "UPDATE procrastinate_events SET at = at - interval '60 seconds'"
        )
    response = APIClient().get("/health/ready")
    assert response.status_code == 200
    queue = response.json()["checks"]["task_queue"]
    assert queue["waiting_jobs"] == 1
    assert 59 <= queue["oldest_waiting_seconds"] < 120


def test_ready_names_a_failing_database_without_its_error_text(monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError('password authentication failed for user "venueos"')

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = APIClient().get("/health/ready")
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failing": {"database": "unreachable"},
    }
    assert b"password" not in response.content


def test_one_log_line_per_request_with_its_facts(caplog, venue):
    user = make_user()
    with caplog.at_level(logging.INFO, logger="venueos.request"):
        response = client_for(user).get(
            f"/api/v1/venues/{venue.id}/", HTTP_X_REQUEST_ID="req-abc-123"
        )
    [record] = [r for r in caplog.records if r.name == "venueos.request"]
    assert record.request_id == "req-abc-123" == response["X-Request-ID"]
    assert record.user_id == str(user.pk)
    assert record.route == "/api/v1/venues/<uuid:venue_id>/"
    assert record.status == 200
    assert record.duration_ms > 0


def test_the_json_format_writes_one_parseable_object_per_line():
    config = logging_config(log_format="json", level="INFO")
    formatter = logging.config.DictConfigurator(config).configure_custom(
        dict(config["formatters"]["json"])
    )
    record = logging.LogRecord(
        "venueos.request", logging.INFO, __file__, 1, "GET / 200", None, None
    )
    record.request_id, record.route, record.status = "r1", "/", 200
    try:
        raise ValueError("boom")
    except ValueError:
        error = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = json.loads(formatter.format(record))
    assert (line["level"], line["logger"], line["request_id"], line["status"]) == (
        "INFO",
        "venueos.request",
        "r1",
        200,
    )
    assert "ValueError: boom" in json.loads(formatter.format(error))["exc_info"]
    with pytest.raises(RuntimeError):
        logging_config(log_format="xml", level="INFO")


def test_counts_are_summed_over_every_server_process(tmp_path, venue):
    """Two uvicorn workers answer; /metrics, whichever answers, counts all."""
    with serve(
        database_url(), workers=2, PROMETHEUS_MULTIPROC_DIR=str(tmp_path)
    ) as base:
        requests = 60
        # New connections each time, so that both workers take some.
        for _ in range(requests):
            httpx.get(f"{base}/health/live", timeout=5)
        served = {}  # requests per worker process, from its own metrics file
        for path in tmp_path.glob("counter_*.db"):
            for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
                if "/health/live" in key and "venueos_http_requests_total" in key:
                    served[path.name] = value
        text = httpx.get(f"{base}/metrics", timeout=5).text
    live = _value(
        text,
        "venueos_http_requests_total",
        method="GET",
        route="/health/live",
        status="200",
    )
    assert len(served) == 2, "both workers answered some requests"
    assert sum(served.values()) == live
    assert live == requests  # the readiness poll asks /health/ready


def test_open_streams_show_in_the_stream_clients_gauge(tmp_path, venue):
    def gauge(base: str) -> float:
        text = httpx.get(f"{base}/metrics", timeout=5).text
        return _value(text, "venueos_stream_clients")

    def wait_for(base: str, expected: float) -> float:
        value = None
        for _ in range(100):  # the gauge is sampled every 5 s
            value = gauge(base)
            if value == expected:
                break
            time.sleep(0.2)
        return value

    with serve(
        database_url(), workers=1, PROMETHEUS_MULTIPROC_DIR=str(tmp_path)
    ) as base:
        assert wait_for(base, 0) == 0
        with (
            httpx.Client(timeout=30) as client,
            client.stream("GET", f"{base}/api/v1/stream/?venue_id={venue.id}") as one,
        ):
            assert one.status_code == 200
            assert wait_for(base, 1) == 1
        assert wait_for(base, 0) == 0
