"""The check a pooled connection passes before a request gets it.

psycopg_pool's own check (`ConnectionPool.check_connection`, which Django
installs when CONN_HEALTH_CHECKS is on) sends an empty query and waits for the
answer: one round trip on every request, about a tenth of a request thread's
time in the capacity mix, to catch a case that is rare (the server restarted
or ended the session) and that announces itself on the socket.

When PostgreSQL ends a session (a crash, a restart, `pg_terminate_backend`,
`idle_session_timeout`), the server sends an error message or its kernel
closes the socket: either way the idle connection's socket becomes readable.
An idle connection with nothing to read is as good as the last answer on it,
so it is handed out with no round trip; one with something to read (also a
harmless notice) gets psycopg_pool's full check, which replaces it if it is
dead. What this does not catch is a peer that vanished without a word (a
network cut, a host powered off): the request's first query fails, the
request gets a 503 (`DatabaseUnavailableMiddleware`) and the pool replaces the
broken connection when it comes back. The full check would block on such a
peer until the connect timeout as well.
"""

from __future__ import annotations

import select

from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool

_ATTENTION = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def check_idle_connection(conn: Connection) -> None:
    """Raise if `conn` is unusable (the pool then replaces it); check with a
    round trip only when the socket says something happened while it idled."""
    if conn.closed or conn.broken:
        raise OperationalError("the pooled connection is closed")
    poller = select.poll()
    poller.register(conn.pgconn.socket, _ATTENTION)
    if poller.poll(0):
        ConnectionPool.check_connection(conn)
