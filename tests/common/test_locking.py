"""The locking module: lock order, bounded waits, lost races as 409s, and its
refusal to lock outside a transaction."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.concurrency.test_booking_races import _dsn
from venueos.common.locking import (
    BUSY_SQLSTATES,
    LOCK_NOT_AVAILABLE,
    LOCKS_PER_STATEMENT,
    NotInTransaction,
    advisory_key,
    bound_lock_waits,
    execute_and_commit,
    lock_rows,
    lock_space_paths,
    lost_race_as,
)
from venueos.common.problems import Conflict
from venueos.venues.models import Venue


class Lost(Conflict):
    slug, title = "lost", "Lost"


def _held_advisory_locks() -> dict[int, str]:
    """This session's advisory locks: key -> mode."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (classid::bigint << 32) | objid::bigint, mode FROM pg_locks "
            "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return {
            # pg_locks shows the key's two halves unsigned; sign it back.
            (key - (1 << 64) if key >= 1 << 63 else key): mode
            for key, mode in cursor.fetchall()
        }


@pytest.mark.django_db(transaction=True)
def test_every_lock_function_refuses_to_run_outside_a_transaction():
    space = uuid.uuid4()
    with pytest.raises(NotInTransaction):
        lock_space_paths([(space, [])])
    with pytest.raises(NotInTransaction):
        bound_lock_waits()
    with pytest.raises(NotInTransaction):
        lock_rows(Venue.objects.all())
    assert _held_advisory_locks() == {}


@pytest.mark.django_db
def test_the_booked_space_is_locked_exclusively_and_its_ancestors_shared():
    room, other_room, floor, building = (uuid.uuid4() for _ in range(4))
    with transaction.atomic():
        lock_space_paths([(room, [floor, building]), (other_room, [floor, building])])
        held = _held_advisory_locks()
    assert held == {
        advisory_key(room): "ExclusiveLock",
        advisory_key(other_room): "ExclusiveLock",
        advisory_key(floor): "ShareLock",
        advisory_key(building): "ShareLock",
    }


@pytest.mark.django_db
def test_a_space_that_is_booked_and_an_ancestor_is_locked_exclusively():
    hall, room = uuid.uuid4(), uuid.uuid4()
    with transaction.atomic():
        lock_space_paths([(room, [hall]), (hall, [])])
        held = _held_advisory_locks()
    assert held == {
        advisory_key(room): "ExclusiveLock",
        advisory_key(hall): "ExclusiveLock",
    }


@pytest.mark.django_db
def test_locks_are_taken_in_ascending_key_order_across_statements():
    paths = [(uuid.uuid4(), [uuid.uuid4()]) for _ in range(LOCKS_PER_STATEMENT)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        lock_space_paths(paths)
        held = _held_advisory_locks()
    statements = [
        q["sql"] for q in queries.captured_queries if "pg_advisory_xact" in q["sql"]
    ]
    assert len(statements) == 2  # 2000 keys, at most 1000 per statement
    keys = [
        int(token)
        for sql in statements
        for token in sql.split("(")[2:]
        for token in [token.split(")")[0].strip()]
    ]
    assert keys == sorted(
        advisory_key(s) for path in paths for s in (path[0], *path[1])
    )
    assert len(held) == 2 * LOCKS_PER_STATEMENT


@pytest.mark.django_db
def test_waits_are_bounded_by_lock_timeout(settings):
    settings.VENUEOS_LOCK_TIMEOUT_MS = 150
    with transaction.atomic():
        lock_rows(Venue.objects.all())
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone() == ("150ms",)


@pytest.mark.django_db
def test_a_lock_held_elsewhere_ends_in_the_callers_problem(settings):
    settings.VENUEOS_LOCK_TIMEOUT_MS = 100
    space = uuid.uuid4()
    seen = []

    def lost(state: str) -> Lost:
        seen.append(state)
        return Lost("Busy; try again.")

    with psycopg.connect(_dsn()) as blocker:
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(space)])
        with pytest.raises(Lost), lost_race_as(lost), transaction.atomic():
            lock_space_paths([(space, [])])
        blocker.rollback()
    assert seen == [LOCK_NOT_AVAILABLE]


@pytest.mark.django_db
def test_errors_that_are_not_lost_races_stay_errors():
    def never(state: str) -> Lost:
        raise AssertionError("not a lost race")

    with pytest.raises(IntegrityError), lost_race_as(never), transaction.atomic():
        Venue.objects.create(
            organization_id=uuid.uuid4(), name="x", slug="x", timezone="UTC"
        )


@pytest.mark.django_db
def test_only_the_given_states_are_translated(settings):
    settings.VENUEOS_LOCK_TIMEOUT_MS = 100
    space = uuid.uuid4()
    with psycopg.connect(_dsn()) as blocker:
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(space)])
        with (
            pytest.raises(Lost),
            lost_race_as(lambda state: Lost("busy"), states=BUSY_SQLSTATES),
            transaction.atomic(),
        ):
            lock_space_paths([(space, [])])
        with (
            pytest.raises(Exception) as raised,
            lost_race_as(lambda state: Lost("busy"), states=frozenset({"23P01"})),
            transaction.atomic(),
        ):
            lock_space_paths([(space, [])])
        blocker.rollback()
    assert not isinstance(raised.value, Lost)


def test_lost_race_as_works_as_a_decorator():
    calls = []

    @lost_race_as(lambda state: Lost(state))
    def fine(value):
        calls.append(value)
        return value * 2

    assert fine(2) == 4 and fine(3) == 6
    assert calls == [2, 3]


def _counter(key: str) -> int | None:
    """A rate counter's count as another session sees it (None: no row)."""
    with psycopg.connect(_dsn()) as other:
        row = other.execute(
            "SELECT count FROM common_ratecounter WHERE key = %s", [key]
        ).fetchone()
    return None if row is None else row[0]


def _insert_counter(key: str, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO common_ratecounter (key, count, expires_at) "
            "VALUES (%s, %s, now() + interval '1 hour')",
            [key, count],
        )


@pytest.mark.django_db(transaction=True)
def test_execute_and_commit_has_committed_and_unlocked_when_it_returns():
    key, written = f"test:{uuid.uuid4()}", f"test:{uuid.uuid4()}"
    _insert_counter(key, 1)
    with transaction.atomic(durable=True):
        _insert_counter(written, 7)
        row = execute_and_commit(
            "UPDATE common_ratecounter SET count = count + 1 WHERE key = %s "
            "RETURNING count",
            [key],
        )
        # Still inside the block: another session already sees the statement's
        # change and the transaction's earlier write, and the updated row is
        # free to lock.
        assert row == (2,)
        assert (_counter(key), _counter(written)) == (2, 7)
        with psycopg.connect(_dsn()) as other:
            other.execute(
                "SELECT 1 FROM common_ratecounter WHERE key = %s FOR UPDATE NOWAIT",
                [key],
            )
    assert not connection.in_atomic_block
    assert (_counter(key), _counter(written)) == (2, 7)


@pytest.mark.django_db(transaction=True)
def test_an_error_in_execute_and_commit_rolls_the_whole_transaction_back():
    key, written = f"test:{uuid.uuid4()}", f"test:{uuid.uuid4()}"
    _insert_counter(key, 1)
    with pytest.raises(IntegrityError), transaction.atomic(durable=True):
        _insert_counter(written, 7)
        execute_and_commit(
            "UPDATE common_ratecounter SET count = NULL WHERE key = %s RETURNING count",
            [key],
        )
    assert (_counter(key), _counter(written)) == (1, None)
    # The connection is usable at once, outside any transaction.
    assert not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("savepoint", [True, False])
def test_in_a_nested_block_execute_and_commit_leaves_the_commit_to_the_caller(
    savepoint,
):
    key = f"test:{uuid.uuid4()}"
    _insert_counter(key, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        with transaction.atomic(savepoint=savepoint):
            row = execute_and_commit(
                "UPDATE common_ratecounter SET count = count + 1 WHERE key = %s "
                "RETURNING count",
                [key],
            )
        assert row == (2,)
        assert _counter(key) == 1
        raise RuntimeError("the enclosing transaction rolls back")
    assert _counter(key) == 1


@pytest.mark.django_db(transaction=True)
def test_execute_and_commit_refuses_to_run_outside_a_transaction():
    with pytest.raises(NotInTransaction):
        execute_and_commit("SELECT 1", [])
