"""The pool's connection check (venueos/common/dbpool.py), on real sessions:
a connection whose session PostgreSQL ended is never handed out, and a
healthy idle one is handed out without a round trip."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from tests.common.served_database import database_wrapper_from_env
from tests.concurrency.test_booking_races import _dsn
from venueos.common import dbpool
from venueos.common.dbpool import check_idle_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pool():
    with ConnectionPool(
        _dsn(), min_size=1, max_size=1, check=check_idle_connection, timeout=5
    ) as pool:
        pool.wait()
        yield pool


@pytest.fixture
def full_checks(monkeypatch):
    """Every time the check falls back to psycopg_pool's round trip."""
    calls = []
    original = ConnectionPool.check_connection

    def counting(conn):
        calls.append(conn)
        return original(conn)

    monkeypatch.setattr(dbpool.ConnectionPool, "check_connection", counting)
    return calls


def _backend_pid(pool) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_a_connection_in_steady_use_is_handed_out_without_a_round_trip(
    pool, full_checks
):
    first = _backend_pid(pool)
    assert len(full_checks) == 1  # its first time out of the pool
    assert _backend_pid(pool) == first
    assert _backend_pid(pool) == first
    assert len(full_checks) == 1


def test_a_connection_idle_for_a_while_is_checked_in_full(
    pool, full_checks, monkeypatch
):
    """A peer gone without a word (a failover moved the address) shows nothing
    on the socket: after a quiet spell the full check runs anyway."""
    _backend_pid(pool)
    _backend_pid(pool)
    assert len(full_checks) == 1
    monkeypatch.setattr(dbpool, "QUIET_SECONDS", 0.0)
    _backend_pid(pool)
    assert len(full_checks) == 2


def test_a_connection_whose_session_was_ended_is_replaced(
    pool, full_checks, monkeypatch
):
    # However recently it was used: the socket says the session ended.
    monkeypatch.setattr(dbpool, "QUIET_SECONDS", 3600.0)
    ended = _backend_pid(pool)
    with psycopg.connect(_dsn(), autocommit=True) as admin:
        assert admin.execute(
            "SELECT pg_terminate_backend(%s, 5000)", [ended]
        ).fetchone()[0]
    # The request after it gets a working session, not an error.
    assert _backend_pid(pool) != ended
    # Its first time out; again because the socket showed the session ended
    # (it failed); the new connection's first time out.
    assert len(full_checks) == 3


def test_a_closed_connection_fails_the_check(pool):
    conn = pool.getconn()
    try:
        conn.close()
        with pytest.raises(psycopg.OperationalError):
            check_idle_connection(conn)
    finally:
        pool.putconn(conn)
    assert _backend_pid(pool)


@pytest.mark.parametrize(
    ("health_checks", "expected"), [("1", check_idle_connection), ("0", None)]
)
def test_the_served_pool_uses_this_check(monkeypatch, health_checks, expected):
    """`venueos serve` runs with VENUEOS_DB_POOL: the pool Django builds from
    these settings (through venueos.common.postgresql) checks with it."""
    monkeypatch.setenv("VENUEOS_DB_POOL", "4")
    monkeypatch.setenv("VENUEOS_DB_HEALTH_CHECKS", health_checks)
    served = database_wrapper_from_env("served-pool-test")
    try:
        assert served.pool._check is expected
        served.pool.open(wait=True)
        with served.pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        served.close_pool()
