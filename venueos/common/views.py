import hmac
import ipaddress
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from venueos.common.metrics import exposition
from venueos.common.problems import (
    NotFound,
    PermissionDenied,
    Problem,
    problem_json_response,
)
from venueos.common.tasks import queue_waiting

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/health/"))


def problem_404(request, exception=None):
    if _is_api(request):
        return problem_json_response(
            NotFound("No such resource, or it is not yours to see.")
        )
    # The site's own page (templates/404.html, from the web app).
    return defaults.page_not_found(request, exception)


def problem_500(request):
    if _is_api(request):
        return problem_json_response(
            Problem(
                "The server failed to answer; the error was logged with this request's id.",
                status=500,
                slug="server-error",
                title="Internal server error",
            )
        )
    return defaults.server_error(request)


@require_GET
def health_live(request):
    return JsonResponse({"status": "ok"})


@require_GET
def health_ready(request):
    """Ready when the database answers. The task queue is reported (depth and
    the age of its oldest due job) but does not fail readiness: a backlog of
    e-mail is a reason to add workers, not to stop serving bookings. Failures
    are named, never described: exception text goes to the log only."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means not ready
        logger.exception("readiness: the database did not answer")
        return JsonResponse(
            {"status": "unavailable", "failing": {"database": "unreachable"}},
            status=503,
        )
    try:
        waiting, oldest = queue_waiting()
        queue = {
            "status": "ok",
            "waiting_jobs": waiting,
            "oldest_waiting_seconds": round(oldest, 1) if oldest is not None else None,
        }
    except DatabaseError:
        logger.exception("readiness: the task queue could not be read")
        queue = {"status": "unreadable"}
    return JsonResponse(
        {"status": "ok", "checks": {"database": "ok", "task_queue": queue}}
    )


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


@require_GET
def metrics(request):
    """Prometheus text format. With `VENUEOS_METRICS_TOKEN` set, only for its
    bearer, wherever they connect from: a reverse proxy on this host makes
    every visitor loopback. Without a token, for loopback clients that no
    proxy forwarded."""
    token = settings.VENUEOS_METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        allowed = hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
        refusal = "Metrics are for operators: send Authorization: Bearer <VENUEOS_METRICS_TOKEN>."
    else:
        forwarded = (
            "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
        )
        allowed = not forwarded and _is_loopback(request.META.get("REMOTE_ADDR"))
        refusal = (
            "Metrics are for operators: connect from this host, not through a "
            "proxy, or set VENUEOS_METRICS_TOKEN and send it as a bearer token."
        )
    if not allowed:
        return problem_json_response(PermissionDenied(refusal))
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
