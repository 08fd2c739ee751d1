"""Django's PostgreSQL backend, with a cheaper check of pooled connections and
a way out of a stale prepared statement.

With CONN_HEALTH_CHECKS on, Django gives its connection pool psycopg_pool's
`check_connection`: a round trip on every request. This backend swaps in
`check_idle_connection` (venueos/common/dbpool.py), which makes that round trip
only for a connection whose socket shows PostgreSQL ended its session. With
CONN_HEALTH_CHECKS off there is no check at all, as in Django's backend.

Connections prepare the statements they run often (settings.py, ADR 0011).
When a migration changes the type of a column such a statement returns,
PostgreSQL refuses every later run of it on that connection ("cached plan must
not change result type"), and psycopg keeps sending it. The cursor closes the
connection then, so that the pool replaces it and only the one statement fails.
"""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg import errors
from psycopg_pool import ConnectionPool

from venueos.common.dbpool import check_idle_connection

STALE_PLAN = "cached plan must not change result type"


class PreparingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, **kwargs):
        try:
            return super().execute(query, params, **kwargs)
        except errors.FeatureNotSupported as error:
            if STALE_PLAN in str(error):
                self.connection.close()
            raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # psycopg_pool keeps the check it was built with here; Django builds
        # the pool itself, with no way to pass another.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_idle_connection
        return pool

    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = PreparingCursor
        return params
