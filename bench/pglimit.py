"""PostgreSQL's own limit for the benchmark's writes: the same statements the
services run (advisory locks in key order + booking INSERT; the conditional
ticket UPDATE), sent directly over psycopg at the same concurrency. No Django,
no HTTP, no rules checks, no audit row: this is the floor the app is compared to.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter

import psycopg
from psycopg import errors

from bench.load import Result

LOCK_TIMEOUT = "3000ms"  # settings.VENUEOS_LOCK_TIMEOUT_MS default

INSERT_BOOKING = """
INSERT INTO bookings_booking (
    id, venue_id, space_id, user_id, created_by_id, start_time, end_time, title,
    description, attendee_count, external_meeting_url, status,
    cancellation_reason, created_at, updated_at
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', 1, '', 'confirmed', '', now(), now())
"""

SELL = """
UPDATE events_event SET tickets_sold = tickets_sold + %s
WHERE id = %s AND status = 'on_sale' AND tickets_sold + %s <= capacity
RETURNING tickets_sold
"""

LOSING = (errors.ExclusionViolation, errors.DeadlockDetected, errors.LockNotAvailable)


def advisory_key(space_id: str) -> int:
    """As venueos.common.locking.advisory_key."""
    return int.from_bytes(uuid.UUID(space_id).bytes[:8], "big", signed=True)


def lock_statement(space_id: str, ancestors: list[str]):
    wanted = {advisory_key(a): "pg_advisory_xact_lock_shared" for a in ancestors}
    wanted[advisory_key(space_id)] = "pg_advisory_xact_lock"
    keys = sorted(wanted)
    calls = ", ".join(f"{wanted[k]}(%s)" for k in keys)
    return f"SELECT set_config('lock_timeout', %s, true), {calls}", [
        LOCK_TIMEOUT,
        *keys,
    ]


async def _book(conn, b) -> int:
    """One booking write as the service does it; 201 on success, 409 on a loss."""
    sql, params = lock_statement(b["space"], b["ancestors"])
    try:
        async with conn.transaction():
            await conn.execute(sql, params)
            await conn.execute(
                INSERT_BOOKING,
                [
                    uuid.uuid4(),
                    b["venue"],
                    b["space"],
                    b["user"],
                    b["user"],
                    b["start"],
                    b["end"],
                    "pg limit",
                ],
            )
        return 201
    except LOSING:
        return 409


async def _sell(conn, event_id) -> int:
    async with conn.transaction():
        cur = await conn.execute(SELL, [1, event_id, 1])
        return 201 if await cur.fetchone() else 409


async def _connect(url: str, n: int):
    sem = asyncio.Semaphore(50)

    async def one():
        async with sem:
            return await psycopg.AsyncConnection.connect(url, autocommit=True)

    return await asyncio.gather(*(one() for _ in range(n)))


async def closed_loop(
    name, url, concurrency, duration, make_booking, expect, limit=None
):
    result = Result(name, concurrency)
    conns = await _connect(url, concurrency)
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + duration

    async def client(conn):
        while time.perf_counter() < deadline:
            i = next(counter)
            if limit is not None and i >= limit:
                return
            t0 = time.perf_counter()
            status = await _book(conn, make_booking(i))
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] += 1
            if status != expect:
                result.errors += 1

    try:
        await asyncio.gather(*(client(c) for c in conns))
        result.wall = time.perf_counter() - start
    finally:
        for c in conns:
            await c.close()
    return result


async def burst(name, url, jobs, connections, kind, winner_status=201) -> Result:
    """`jobs` attempts over `connections` connections, all started together
    (PostgreSQL cannot hold one connection per attempt of a 5000-strong burst)."""
    result = Result(name, connections)
    conns = await _connect(url, connections)
    queue = list(enumerate(jobs))
    statuses = Counter()
    start = time.perf_counter()

    async def client(conn):
        while queue:
            _, job = queue.pop()
            t0 = time.perf_counter()
            status = await (_book(conn, job) if kind == "book" else _sell(conn, job))
            elapsed = time.perf_counter() - t0
            result.latencies.append(elapsed)
            statuses[status] += 1
            if status == winner_status:
                result.winner_latencies.append(elapsed)

    try:
        await asyncio.gather(*(client(c) for c in conns))
        result.wall = time.perf_counter() - start
    finally:
        for c in conns:
            await c.close()
    result.statuses = statuses
    return result
