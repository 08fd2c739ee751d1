"""Prometheus metrics, exported at `/metrics` (common/views.py).

Every server process counts into files under `PROMETHEUS_MULTIPROC_DIR`
(`venueos serve` sets it to a fresh folder per server), and a scrape sums the
files, so the figures are the server's whatever worker answers the scrape.
Without that variable (tests, `venueos manage`) the process's own registry
is exported.

| metric | kind | set by |
|---|---|---|
| `venueos_http_requests_total{method,route,status}` | counter | common/observability.py |
| `venueos_http_request_duration_seconds{method,route}` | histogram | common/observability.py |
| `venueos_bookings_created_total` | counter | audit entries `booking.created*` |
| `venueos_registrations_created_total` | counter | audit entries `registration.created` |
| `venueos_booking_conflicts_total` | counter | a booking refused with 409 `booking-conflict` |
| `venueos_stream_clients` | gauge, summed over live processes | the SSE stream's open clients per process, counted as streams open and close (realtime/stream.py) |
| `venueos_db_pool_connections{state}` | gauge, summed | this process's psycopg pool, sampled every few seconds |
| `venueos_task_queue_jobs{status}`, `venueos_task_queue_oldest_waiting_seconds` | gauges | read from the queue's table at scrape time |
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

HTTP_REQUESTS = Counter(
    "venueos_http_requests",
    "HTTP requests answered, by route pattern and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "venueos_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKINGS_CREATED = Counter("venueos_bookings_created", "Bookings created.")
READ_CACHE = Counter(
    "venueos_read_cache",
    "Versioned read-cache lookups (venueos/common/readcache.py) by outcome: "
    "hit, shared (waited for an identical computation), miss.",
    ["cache", "outcome"],
)
BOOKING_CONFLICTS = Counter(
    "venueos_booking_conflicts", "Booking writes refused because the time was taken."
)
REGISTRATIONS_CREATED = Counter(
    "venueos_registrations_created", "Event registrations created."
)
STREAM_CLIENTS = Gauge(
    "venueos_stream_clients",
    "Clients connected to the server-sent event stream.",
    multiprocess_mode="livesum",
)
DB_POOL = Gauge(
    "venueos_db_pool_connections",
    "Connections of the database pools, by state (in_use, idle, max).",
    ["state"],
    multiprocess_mode="livesum",
)

COUNTED_ACTIONS = {
    "booking.created": BOOKINGS_CREATED,
    "booking.created_on_behalf": BOOKINGS_CREATED,
    "booking.imported": BOOKINGS_CREATED,
    "registration.created": REGISTRATIONS_CREATED,
}


def count_change(action: str) -> None:
    """Count a committed change by its audit action code."""
    counter = COUNTED_ACTIONS.get(action)
    if counter is not None:
        counter.inc()


class _QueueCollector:
    """The task queue's depth and age, read when scraped: the queue lives in
    PostgreSQL, so every server reports the same true figure."""

    def collect(self):
        from django.db import DatabaseError

        from venueos.common.tasks import queue_summary

        jobs = GaugeMetricFamily(
            "venueos_task_queue_jobs", "Background jobs by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "venueos_task_queue_oldest_waiting_seconds",
            "Age of the oldest job that is due and waiting (0 when none).",
        )
        try:
            summary = queue_summary(failed_limit=0)
        except DatabaseError:
            return  # the scrape still answers; /health/ready reports the database
        for status in ("todo", "doing", "failed", "succeeded"):
            jobs.add_metric([status], summary.counts.get(status, 0))
        jobs.add_metric(["waiting_due"], summary.waiting)
        oldest.add_metric([], summary.oldest_waiting_seconds or 0)
        yield jobs
        yield oldest


_sampler_started = threading.Lock()
_sampler: threading.Thread | None = None
_samplers: list[Callable[[], None]] = []


def add_sampler(sample: Callable[[], None]) -> None:
    """Have `sample()` set a gauge every few seconds in every server process
    (for a figure only a higher layer knows, such as the stream's clients)."""
    _samplers.append(sample)


def _sample_once() -> None:
    from django.db import connections

    in_use = idle = maximum = 0
    for alias in connections:
        # The pool is shared by the process's threads (Django keeps it on
        # the backend class); this thread's wrapper opens no connection.
        pool = getattr(connections[alias], "pool", None)
        if pool is None:
            continue
        stats = pool.get_stats()
        size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
        in_use += size - available
        idle += available
        maximum += stats.get("pool_max", 0)
    DB_POOL.labels("in_use").set(in_use)
    DB_POOL.labels("idle").set(idle)
    DB_POOL.labels("max").set(maximum)
    for sample in _samplers:
        # One broken sampler must not end the thread: every gauge it keeps
        # would freeze at its last value with nothing in the logs.
        try:
            sample()
        except Exception:
            logger.exception("metrics sampler %r failed", sample)


def _sample_pool_forever(interval: float) -> None:
    while True:
        try:
            _sample_once()
        except Exception:
            logger.exception("metrics sampler: reading the connection pool failed")
        time.sleep(interval)


def start_pool_sampler(interval: float = 5.0) -> None:
    """Once per process: sample the connection pool and the registered
    samplers into their gauges."""
    global _sampler
    if _sampler is not None:
        return
    with _sampler_started:
        if _sampler is None:
            _sampler = threading.Thread(
                target=_sample_pool_forever, args=(interval,), daemon=True
            )
            _sampler.start()


def exposition() -> tuple[bytes, str]:
    """The Prometheus text for this server (every process's files summed)."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(_QueueCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
