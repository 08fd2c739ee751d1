"""ASGI entry point. `DATABASE_URL` is set by `venueos serve` before workers start.

Django runs each synchronous request in a thread of its own. Unbounded, a burst
of a thousand simultaneous requests becomes a thousand threads per worker
fighting over the GIL and over the database pool, and the pool answers the
ones it cannot serve in time with errors. `ConcurrencyLimit` queues requests at
the door instead: at most `VENUEOS_MAX_CONCURRENCY` run at once per worker
(the pool is sized above that), the rest wait their turn in the event loop,
where waiting costs nothing.
"""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")


class ConcurrencyLimit:
    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self._semaphore is None:  # created inside the server's event loop
            self._semaphore = asyncio.Semaphore(self.limit)
        async with self._semaphore:
            return await self.app(scope, receive, send)


django_application = get_asgi_application()
application = ConcurrencyLimit(
    django_application, int(os.environ.get("VENUEOS_MAX_CONCURRENCY", "8"))
)
