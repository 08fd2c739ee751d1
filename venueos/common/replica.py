"""Public reads from a streaming replica, when one is configured
(`VENUEOS_REPLICA_URL`); everything else from the primary.

Only anonymous GETs of the public catalogue (`PUBLIC_READ_ROUTES`: venues,
spaces, opening hours, closures, events, availability) may read the replica:
they tolerate the replica's lag of a fraction of a second. A signed-in person
reads the primary, so they always see their own changes at once. Writes, and
every read inside a transaction (the conflict checks of a booking, the
conditional UPDATE of a sale), always use the primary: the router refuses the
replica inside an atomic block. A stale replica can therefore only show a slot
as free that the primary then refuses with a 409 and fresh alternatives; it
can never cause a double booking.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PUBLIC_READ_ROUTES = frozenset(
    {
        "availability-search",
        "availability-search-noslash",
        "venues",
        "venue-detail",
        "venue-spaces",
        "space-detail",
        "opening-hours",
        "closures",
        "events",
        "event-detail",
    }
)

_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replica_allowed", default=False
)


@contextmanager
def replica_reads():
    """Reads inside may be served by the replica."""
    token = _replica_allowed.set(True)
    try:
        yield
    finally:
        _replica_allowed.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _replica_allowed.get()
            and REPLICA in settings.DATABASES
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class PublicReadsMiddleware:
    """Anonymous GETs of the public catalogue read through `replica_reads`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._replica_token = None
        try:
            return self.get_response(request)
        finally:
            if request._replica_token is not None:
                _replica_allowed.reset(request._replica_token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        anonymous = (
            "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )
        if (
            request.method in ("GET", "HEAD")
            and anonymous
            and request.resolver_match.url_name in PUBLIC_READ_ROUTES
        ):
            request._replica_token = _replica_allowed.set(True)
        return None
