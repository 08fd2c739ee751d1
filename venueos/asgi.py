"""ASGI entry point, served by uvicorn (`venueos serve`).

Django's own ASGI handler runs every synchronous view in a fresh thread with
several event-loop hops; measured here it answered 420 req/s on a trivial
authenticated endpoint where the same views behind a fixed thread pool
answered 600 req/s (docs/adr/0003). So the synchronous API is served through
`ThreadPoolWSGI` (venueos/wsgi_pool.py), whose pool of
`VENUEOS_MAX_CONCURRENCY` threads per worker is also the concurrency bound: a
burst of a thousand requests queues in the event loop, where waiting costs
nothing, instead of becoming a thousand threads fighting over the GIL and the
database pool (which is sized above the bound by `venueos serve`).

The live stream (`/api/v1/stream/`, server-sent events) is routed before that
pool to an async app (venueos/realtime/stream.py): a client waiting for the
next change must not hold one of those threads.

`DATABASE_URL` is set by `venueos serve` before the workers start.
"""

import gc
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from venueos.wsgi_pool import ThreadPoolWSGI

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")

if settings.SECRET_KEY == settings.BUILTIN_SECRET_KEY:
    raise ImproperlyConfigured(
        "Refusing to serve with the built-in SECRET_KEY: set VENUEOS_SECRET_KEY."
    )

django_application = ThreadPoolWSGI(
    get_wsgi_application(), workers=int(os.environ.get("VENUEOS_MAX_CONCURRENCY", "6"))
)

from venueos.common import contract  # noqa: E402  (needs the app registry)
from venueos.realtime import stream  # noqa: E402


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in stream.PATHS:
        await stream.stream(scope, receive, send)
    else:
        await django_application(scope, receive, send)


def _freeze_startup_objects() -> None:
    """Everything loaded at start-up lives as long as the worker. Left to the
    garbage collector, its ~130,000 objects were re-scanned by every full
    collection: ~100 ms with the GIL held, a stall for every request in the
    worker (docs/benchmarks.md). Frozen, full collections scan only what
    requests create. The URL patterns are loaded first so the views' modules
    are among the frozen objects, not imported by the first request."""
    get_resolver().url_patterns  # noqa: B018  (loads every view module)
    # The request contract's schema too: generating it cost the first API
    # request of each worker about 0.1 s, and left some 2,700 objects
    # (drf-spectacular's stand-in requests) to the cycle collector.
    contract.load_schema()
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
