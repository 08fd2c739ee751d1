"""The job queue's fetch after a burst (common migration 0003): it walks the
priority index instead of sorting the backlog, with procrastinate's order and
lock rules intact."""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import connection
from procrastinate.sql import queries


def _fetch_function() -> str:
    """The name of the function procrastinate's worker calls to take a job."""
    (name,) = set(re.findall(r"procrastinate_fetch_job\w*", queries["fetch_job"]))
    return name


@pytest.mark.django_db
def test_the_fetch_procrastinate_calls_never_sorts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proconfig FROM pg_proc WHERE proname = %s", [_fetch_function()]
        )
        assert cursor.fetchall() == [(["enable_sort=off"],)]


def _defer(cursor, queue: str, *, priority: int = 0, lock: str | None = None,
           status: str = "todo") -> int:  # fmt: skip
    cursor.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, priority, lock, status) "
        "VALUES (%s, 'test.fetch', '{}', %s, %s, %s) RETURNING id",
        [queue, priority, lock, status],
    )
    return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_backlog_is_taken_by_priority_then_age_and_locks_wait_their_turn():
    queue = f"test-{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        # A burst, as after a flash sale: the statistics have not seen it.
        backlog = [_defer(cursor, queue) for _ in range(300)]
        urgent = [_defer(cursor, queue, priority=5) for _ in range(2)]
        _defer(cursor, queue, lock="one-at-a-time", status="doing")
        held_back = _defer(cursor, queue, priority=9, lock="one-at-a-time")

        taken = []
        for _ in range(len(backlog) + len(urgent) + 1):
            cursor.execute(
                f"SELECT id FROM {_fetch_function()}(%s::varchar[], NULL)", [[queue]]
            )
            taken.append(cursor.fetchone()[0])

    assert taken == [*urgent, *backlog, None]
    assert held_back not in taken
