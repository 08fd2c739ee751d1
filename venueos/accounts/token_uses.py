"""When each API token was last used, written in batches.

`last_used_at` shows a token's owner which tokens are alive; a minute's
precision is plenty. Writing it from the request that uses the token turned
the first read of each token in a minute into a write transaction, and in a
flash sale, where every buyer's token is used once, every attempt into one.
So a request only notes the use in memory, and a thread of the process writes
all the noted uses in one UPDATE every `VENUEOS_TOKEN_USE_FLUSH_SECONDS`
(at exit too). A process that dies loses at most that many seconds of uses:
the column may lag, never run ahead. 0 writes each use at once (the tests).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_UPDATE_SQL = """
UPDATE accounts_apitoken AS t SET last_used_at = u.at
FROM unnest(%s::uuid[], %s::timestamptz[]) AS u(id, at)
WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)
"""

_lock = threading.Lock()
_pending: dict[uuid.UUID, datetime] = {}
_flusher: threading.Thread | None = None


def record_use(token_id: uuid.UUID, at: datetime) -> None:
    interval = settings.VENUEOS_TOKEN_USE_FLUSH_SECONDS
    if not interval:
        _write({token_id: at})
        return
    global _flusher
    with _lock:
        _pending[token_id] = at
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(
                target=_flush_every, args=(interval,), name="token-uses", daemon=True
            )
            _flusher.start()


def flush() -> int:
    """Write the uses noted so far; returns how many tokens were updated."""
    global _pending
    with _lock:
        batch, _pending = _pending, {}
    return _write(batch) if batch else 0


def _write(batch: dict[uuid.UUID, datetime]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL, [list(batch), list(batch.values())])
        return cursor.rowcount


def _flush_every(interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            flush()
        except Exception:  # the database is away: these uses are lost, no more
            logger.exception("could not record API token uses")
        finally:
            connection.close()  # between flushes, hold no connection of the pool


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:
        logger.exception("could not record API token uses at exit")
