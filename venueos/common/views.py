import logging

from django.db import connection
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.http import require_GET

from venueos.common.problems import NotFound, Problem, problem_json_response

logger = logging.getLogger(__name__)


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/health/"))


def problem_404(request, exception=None):
    if _is_api(request):
        return problem_json_response(
            NotFound("No such resource, or it is not yours to see.")
        )
    return HttpResponseNotFound("<h1>Not found</h1>")


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
    return HttpResponse("<h1>Server error</h1>", status=500)


@require_GET
def health_live(request):
    return JsonResponse({"status": "ok"})


@require_GET
def health_ready(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means not ready
        # The error text can name hosts, roles and settings: it goes to the
        # log with the request id, never to an anonymous caller.
        logger.exception("readiness check: the database is unavailable")
        return JsonResponse(
            {"status": "unavailable", "failing": {"database": "unavailable"}},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": {"database": "ok"}})
