"""Rate limits counted in a store every server process shares.

DRF's own throttles keep a per-process history in the cache (locmem by
default), so two workers allowed twice the rate, and they identify the client
by whatever `X-Forwarded-For` says. Here the client is `client_ip()` (the
socket's address unless `VENUEOS_TRUSTED_PROXIES` says how many proxies to
believe), and the count is one atomic upsert in PostgreSQL, or one `INCR` in
Redis when `REDIS_URL` is set.

Windows are fixed (`rate` per period, starting on multiples of the period):
one statement per request and an exact `Retry-After`; a client can at most
spend two windows' allowance around a boundary.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from venueos.common.middleware import client_ip

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_COUNT_ONE_MORE = (
    "ON CONFLICT (key) DO UPDATE SET count = common_ratecounter.count + 1 "
    "RETURNING count"
)
_UPSERT = (
    "INSERT INTO common_ratecounter (key, count, expires_at) VALUES (%s, 1, %s) "
    + _COUNT_ONE_MORE
)
# The same, committed without waiting for the WAL flush: a crash can lose a
# few counts, never a booking. With `synchronous_commit` on, a booking attempt
# otherwise paid one flush for its counter besides its own (0.36-0.40 ms
# against 0.07-0.09 ms per upsert on this project's test machine).
_UPSERT_COMMITTED_LAZILY = (
    "INSERT INTO common_ratecounter (key, count, expires_at) "
    "SELECT %s::text, 1, %s::timestamptz"
    " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS lazy_commit "
    + _COUNT_ONE_MORE
)


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/minute' → (30, 60)."""
    number, period = rate.split("/")
    return int(number), _PERIODS[period.strip()[0]]


def _count_in_redis(key: str, period: int) -> int:
    from django.core.cache import cache

    cache.add(key, 0, timeout=period + 1)
    return cache.incr(key)


def _count_in_database(key: str, window_end: float) -> int:
    expires_at = datetime.fromtimestamp(window_end, tz=UTC)
    # Inside a transaction the setting would hold for all of it, whatever
    # else it writes: only a statement that is its own transaction commits
    # lazily.
    upsert = _UPSERT if connection.in_atomic_block else _UPSERT_COMMITTED_LAZILY
    with connection.cursor() as cursor:
        cursor.execute(upsert, [key, expires_at])
        return cursor.fetchone()[0]


def hit(scope: str, ident: str, rate: str) -> float | None:
    """Count one request; None when it is within `rate`, else the seconds to
    wait until the window ends."""
    limit, period = parse_rate(rate)
    now = time.time()
    window_start = math.floor(now / period) * period
    key = f"rate:{scope}:{ident}:{window_start}"[:200]
    if getattr(settings, "REDIS_URL", None):
        count = _count_in_redis(key, period)
    else:
        count = _count_in_database(key, window_start + period)
    if count <= limit:
        return None
    return window_start + period - now


def rate_counters_purge() -> int:
    """Delete the counters of windows that have ended; returns how many."""
    from venueos.common.models import RateCounter

    deleted, _ = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


class SharedRateThrottle(BaseThrottle):
    """A DRF throttle for `scope` (its rate from DEFAULT_THROTTLE_RATES)."""

    scope: str = ""
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self):
        self._wait: float | None = None

    def ident(self, request) -> str:
        return client_ip(request.META) or "unknown"

    def allow_request(self, request, view) -> bool:
        rate = self.THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        self._wait = hit(self.scope, self.ident(request), rate)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class LoginRateThrottle(SharedRateThrottle):
    """Sign-up and token creation: password guessing, counted per address."""

    scope = "login"


class AnonRateThrottle(SharedRateThrottle):
    scope = "anon"

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return super().allow_request(request, view)


class UserRateThrottle(SharedRateThrottle):
    scope = "user"

    def ident(self, request) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return super().ident(request)


class BookingCreateRateThrottle(UserRateThrottle):
    """Booking creates (single and series, API and site) per signed-in user:
    `VENUEOS_THROTTLE_BOOKINGS`, 60 a minute unless set (empty: off). Even
    under a venue's limit of active bookings, a script must not churn
    create-cancel loops or flood the write path."""

    scope = "bookings"
