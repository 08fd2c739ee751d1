"""Django's PostgreSQL backend, with a cheaper check of pooled connections.

With CONN_HEALTH_CHECKS on, Django gives its connection pool psycopg_pool's
`check_connection`: a round trip on every request. This backend swaps in
`check_idle_connection` (venueos/common/dbpool.py), which makes that round trip
only for a connection whose socket shows PostgreSQL ended its session. With
CONN_HEALTH_CHECKS off there is no check at all, as in Django's backend.
"""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from venueos.common.dbpool import check_idle_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # psycopg_pool keeps the check it was built with here; Django builds
        # the pool itself, with no way to pass another.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_idle_connection
        return pool
