"""What every write path needs from PostgreSQL's errors and lock waits.

Lock waits are bounded (`lock_timeout`, settings.VENUEOS_LOCK_TIMEOUT_MS) and
the SQLSTATEs that mean "someone else got there first" are told apart from
bugs, so services can answer them as 409s, never as 500s.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"
# A lost race: the constraint refused, or a bounded wait gave up.
BUSY_SQLSTATES = frozenset({DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE})
LOSING_SQLSTATES = BUSY_SQLSTATES | {EXCLUSION_VIOLATION}


def lock_timeout() -> str:
    return f"{int(settings.VENUEOS_LOCK_TIMEOUT_MS)}ms"


def bound_lock_waits() -> None:
    """Every lock wait of the current transaction (rows included) ends in
    lock_timeout; call it first in the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout()])


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE behind a Django database error (psycopg's, on the cause)."""
    cause = exc.__cause__ or exc.__context__
    return getattr(cause, "sqlstate", None)


def constraint_name(exc: BaseException) -> str | None:
    diag = getattr(exc.__cause__ or exc.__context__, "diag", None)
    return getattr(diag, "constraint_name", None)
