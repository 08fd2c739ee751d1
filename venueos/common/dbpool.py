"""The check a pooled connection passes before a request gets it.

psycopg_pool's own check (`ConnectionPool.check_connection`, which Django
installs when CONN_HEALTH_CHECKS is on) sends an empty query and waits for the
answer: one round trip on every request, about a tenth of a request thread's
time in the capacity mix, to catch a case that is rare (the server restarted
or ended the session).

A connection in steady use needs none of that. When PostgreSQL ends a
session (a crash, a restart, `pg_terminate_backend`, `idle_session_timeout`),
the server sends an error message or its kernel closes the socket, so the idle
connection's socket becomes readable. A connection whose socket has nothing
to read and that was handed out less than `QUIET_SECONDS` ago goes out with no
round trip; any other gets psycopg_pool's full check, which replaces it if it
is dead. Something to read may also be a harmless notice: the full check
costs one round trip then, nothing more.

What the socket cannot show is a peer that is gone without a word: the
database's host rebooted, or a failover moved its address to another machine,
whose kernel answers the old connection with a reset only once something is
sent on it. A connection idle longer than `QUIET_SECONDS` is checked in full,
so that after a quiet spell (when such a move is most likely to go unnoticed)
nothing changes from psycopg_pool's check. A connection that was in use
within the last seconds reaches the dead peer with the request's first
query: that request gets the 503 (`DatabaseUnavailableMiddleware`), and the
broken connection is not put back.
"""

from __future__ import annotations

import select
from time import monotonic

from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool

QUIET_SECONDS = 2.0

_ATTENTION = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def check_idle_connection(conn: Connection) -> None:
    """Raise if `conn` is unusable (the pool then replaces it); check with a
    round trip only after a quiet spell or when the socket says something
    happened while the connection idled."""
    if conn.closed or conn.broken:
        raise OperationalError("the pooled connection is closed")
    now = monotonic()
    # When the pool last handed it out: the connection has been idle for at
    # most this long (an attribute of ours on psycopg's connection object).
    handed_out = getattr(conn, "_venueos_handed_out", None)
    poller = select.poll()
    poller.register(conn.pgconn.socket, _ATTENTION)
    if handed_out is None or now - handed_out > QUIET_SECONDS or poller.poll(0):
        ConnectionPool.check_connection(conn)
    conn._venueos_handed_out = now
