"""Locks, bounded waits and lost races: the one module every write path uses.

Lock order. A transaction that takes several of these takes them in this
order and never backwards, so two writers can queue but not deadlock:

1. the row being changed, `SELECT ... FOR [NO KEY] UPDATE` (`lock_rows`): a
   booking; or an event, then its registrations;
2. the advisory lock of one customer at one venue (`lock_customer_at_venue`),
   taken by creates that count the customer's bookings against the venue's
   limit, so two creates of one customer count one after the other;
3. transaction-level advisory locks on spaces (`lock_space_paths`), all in
   ascending key order: exclusive on each booked space, shared on its
   ancestors. Every writer that could break the booking exclusion constraint
   shares at least one of these locks in a conflicting mode, so conflicting
   writers queue on the lock instead of meeting each other's uncommitted claim
   rows inside the constraint (which costs a deadlock-detector round of 1 s).

Every wait is bounded: `lock_timeout` (settings.VENUEOS_LOCK_TIMEOUT_MS) is set
for the transaction before its first lock. The locks are an optimisation; the
constraints stay the guarantee.

A lost race reaches Python as a `DatabaseError` whose SQLSTATE says so: the
exclusion constraint refused (23P01), the deadlock detector chose this
transaction (40P01) or a bounded wait gave up (55P03). `lost_race_as` turns
those, and only those, into the caller's 409 problem; anything else is a bug
and stays a 500.

The lock functions refuse to run outside a transaction (`NotInTransaction`):
there a transaction-level lock would be released at once and the local
`lock_timeout` would not stick, so the protection would silently be missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet

from venueos.common.problems import Problem

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
# Someone else holds what this transaction waited for.
BUSY_SQLSTATES = frozenset({DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE})
# A lost race: the constraint refused, or a bounded wait gave up.
LOSING_SQLSTATES = BUSY_SQLSTATES | {EXCLUSION_VIOLATION}

# A select list holds at most 1664 entries: more keys take several statements,
# still in ascending order overall.
LOCKS_PER_STATEMENT = 1000


class NotInTransaction(RuntimeError):
    """A lock was asked for outside `transaction.atomic`."""


def _require_transaction(what: str) -> None:
    if not connection.in_atomic_block:
        raise NotInTransaction(
            f"{what} must run inside transaction.atomic(): outside one the lock "
            "would be released at once."
        )


def lock_timeout() -> str:
    """The bound on every lock wait, as PostgreSQL's `lock_timeout` value."""
    return f"{int(settings.VENUEOS_LOCK_TIMEOUT_MS)}ms"


def bound_lock_waits() -> None:
    """Every later lock wait of the current transaction (rows included) ends
    after `lock_timeout`; call it before the transaction's first lock."""
    _require_transaction("bound_lock_waits")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout()])


def lock_rows(queryset: QuerySet, *, no_key: bool = False) -> QuerySet:
    """`queryset` locked `FOR [NO KEY] UPDATE` (its own table only), waits bounded.

    `no_key` lets rows that only reference the locked one (a registration of an
    event) be inserted meanwhile; use it when the key does not change.
    """
    bound_lock_waits()
    return queryset.select_for_update(no_key=no_key, of=("self",))


def advisory_key(value: UUID) -> int:
    """A stable signed 64-bit advisory-lock key for a UUID."""
    return int.from_bytes(value.bytes[:8], "big", signed=True)


def lock_space_paths(paths: Iterable[tuple[UUID, Sequence[UUID]]]) -> None:
    """Lock the spaces a write books: for each (space, its ancestors), exclusive
    on the space and shared on the ancestors (exclusive wins where one space is
    both), all in ascending key order, with `lock_timeout` set in the same
    statement (one round trip for one booking)."""
    _require_transaction("lock_space_paths")
    paths = list(paths)
    wanted: dict[int, str] = {}
    for _space_id, ancestor_ids in paths:
        for ancestor_id in ancestor_ids:
            wanted.setdefault(advisory_key(ancestor_id), "pg_advisory_xact_lock_shared")
    for space_id, _ancestor_ids in paths:
        wanted[advisory_key(space_id)] = "pg_advisory_xact_lock"
    keys = sorted(wanted)
    with connection.cursor() as cursor:
        for at in range(0, len(keys), LOCKS_PER_STATEMENT):
            chunk = keys[at : at + LOCKS_PER_STATEMENT]
            calls = ", ".join(f"{wanted[key]}(%s)" for key in chunk)
            cursor.execute(
                f"SELECT set_config('lock_timeout', %s, true), {calls}",
                [lock_timeout(), *chunk],
            )


def lock_customer_at_venue(venue_id: UUID, user_id: UUID) -> None:
    """Exclusive, transaction-level, wait bounded. Keyed by two int4 (a key
    space of its own: it never meets a space's one-bigint key); a collision
    of two pairs only makes them queue."""
    _require_transaction("lock_customer_at_venue")
    key = (
        int.from_bytes(venue_id.bytes[:4], "big", signed=True),
        int.from_bytes(user_id.bytes[:4], "big", signed=True),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s, %s)",
            [lock_timeout(), *key],
        )


def execute_and_commit(sql: str, params: Sequence[Any]) -> tuple | None:
    """Run the transaction's last statement and its COMMIT in one round trip
    (psycopg's pipeline mode); returns the statement's first row.

    Whatever the statement locks is then released by the server as soon as it
    has committed. With a second round trip the lock would also be held while
    this thread, its answer received, waits for the GIL behind the process's
    other threads, and everyone queued on that row waits with it. Call it
    last inside the outermost `transaction.atomic`: the block's own COMMIT
    then finds nothing left to commit (in a nested block the statement runs
    alone, and the outermost block commits later). The statement must
    raise where the transaction must not commit (an UPDATE that matches
    nothing is not an error). Its error arrives here, the COMMIT is skipped,
    and the block rolls the transaction back.
    """
    _require_transaction("execute_and_commit")
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if len(connection.atomic_blocks) > 1:
            # Inside an enclosing block (a test's, or a caller's that writes
            # more, with or without a savepoint): that block commits, later.
            cursor.execute(sql, params)
            return cursor.fetchone()
        psycopg_connection = connection.connection
        with psycopg_connection.pipeline():
            cursor.execute(sql, params)
            psycopg_connection.commit()
        return cursor.fetchone()


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE behind a Django database error (psycopg's, on the cause)."""
    cause = exc.__cause__ or exc.__context__
    return getattr(cause, "sqlstate", None)


def constraint_name(exc: BaseException) -> str | None:
    """The name of the constraint a Django `IntegrityError` reports, if any."""
    diag = getattr(exc.__cause__ or exc.__context__, "diag", None)
    return getattr(diag, "constraint_name", None)


@contextmanager
def lost_race_as(
    problem: Callable[[str], Problem],
    *,
    states: frozenset[str] = LOSING_SQLSTATES,
) -> Iterator[None]:
    """A lost race inside the block leaves it as `problem(sqlstate)`.

    Wrap the whole transaction (or a savepoint), not a statement inside it: the
    error has rolled the transaction back by the time `problem` runs, so
    `problem` may read the winner's committed state to describe the 409. Works
    as a decorator too (above `@transaction.atomic`).
    """
    try:
        yield
    except DatabaseError as exc:
        state = sqlstate(exc)
        if state not in states:
            raise
        raise problem(state) from exc
