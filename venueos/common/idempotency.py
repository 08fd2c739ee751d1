"""`Idempotency-Key` for POSTs that create things (bookings, registrations).

The same key from the same user within 24 h returns the first response (status
and body) and creates nothing new; the same key with a different request body
is a 422 `IdempotencyMismatch`.

Concurrency: requests with one (user, scope, key) are serialized by a
*session-level* advisory lock on `hashtextextended(user|scope|key)`, taken with
`pg_try_advisory_lock` in a bounded loop (never an unbounded wait; after
`LOCK_WAIT_SECONDS` the caller gets a 409). It must be session-level because
`produce()` runs its own durable transaction, and the lock has to span that
transaction and the write of the record after it. It is always released in
`finally`. A hash collision between two different keys only makes them wait
for each other, never share a response.

Stored: every response below 500, problem bodies (4xx) included, so a retry of
a request that was refused is refused the same way. 5xx answers are not
stored: the client may retry them.

Call it outside any transaction (API views do; `ATOMIC_REQUESTS` is off).

Records older than `RETENTION` are never replayed; `idempotency_records_purge`
(run by `venueos purge`, meant for a scheduled job) deletes them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from venueos.common.models import IdempotencyRecord
from venueos.common.problems import (
    Conflict,
    IdempotencyMismatch,
    InvalidInput,
    Problem,
)

MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
LOCK_WAIT_SECONDS = 5.0
_LOCK_POLL_SECONDS = (0.005, 0.01, 0.02, 0.05, 0.1)


def request_hash(payload: dict) -> str:
    """SHA-256 of the payload as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(body: dict) -> dict:
    # Round-trip so the first answer and every replay are byte-for-byte alike.
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def _lock_name(user, scope: str, key: str) -> str:
    return f"venueos.idempotency:{user.pk}|{scope}|{key}"


def _acquire(lock_name: str) -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    attempt = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [lock_name]
            )
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; "
                    "retry in a moment.",
                    slug="idempotency-key-in-use",
                    title="Idempotency key in use",
                )
            time.sleep(_LOCK_POLL_SECONDS[min(attempt, len(_LOCK_POLL_SECONDS) - 1)])
            attempt += 1


def _release(lock_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [lock_name]
        )


def idempotent_response(
    *,
    user,
    scope: str,
    key: str,
    payload: dict,
    produce: Callable[[], tuple[int, dict]],
) -> tuple[int, dict, bool]:
    """(status, body, replayed): the stored answer for this key, or produce() one.

    `scope` names the operation (e.g. "bookings.create"); `payload` is what the
    client sent, compared by hash to detect a key reused for another request.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput.field(
            "Idempotency-Key",
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} characters.",
            slug="invalid-idempotency-key",
        )
    digest = request_hash(payload)
    lock_name = _lock_name(user, scope, key)
    _acquire(lock_name)
    try:
        records = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key)
        cutoff = timezone.now() - RETENTION
        record = records.filter(created_at__gte=cutoff).first()
        if record is not None:
            if record.request_hash != digest:
                raise IdempotencyMismatch(
                    "This Idempotency-Key was already used with a different "
                    "request body; use a new key for a new request."
                )
            return record.status_code, record.response_body, True
        try:
            status, body = produce()
        except Problem as problem:
            if problem.status >= 500:
                raise
            status, body = problem.status, problem.as_dict()
        body = _jsonable(body)
        if status < 500:
            # An expired record still holds the unique (user, scope, key) slot.
            records.filter(created_at__lt=cutoff).delete()
            IdempotencyRecord.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_hash=digest,
                status_code=status,
                response_body=body,
            )
        return status, body, False
    finally:
        _release(lock_name)


def idempotency_records_purge() -> int:
    """Delete the records no replay can use any more; returns how many."""
    cutoff = timezone.now() - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
