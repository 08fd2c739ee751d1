"""Per request: the Prometheus counters and latency histogram by route pattern,
and one log line (JSON with `VENUEOS_LOG_FORMAT=json`) with the request id,
user id, route, status and duration. Kept to a few microseconds: label
look-ups and one log call, no I/O of its own."""

from __future__ import annotations

import logging
import time

from venueos.common.metrics import HTTP_LATENCY, HTTP_REQUESTS, start_pool_sampler

logger = logging.getLogger("venueos.request")


def route_of(request) -> str:
    """The URL pattern, not the path: one series per endpoint, not per id."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + match.route if match.route else match.view_name or "<unnamed>"


class ObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        start_pool_sampler()

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        route = route_of(request)
        status = response.status_code
        HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(request.method, route).observe(duration)
        if logger.isEnabledFor(logging.INFO):
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                status,
                duration * 1000,
                extra={
                    "request_id": getattr(request, "request_id", None),
                    "user_id": str(user.pk)
                    if user is not None and user.is_authenticated
                    else None,
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                },
            )
        return response
