from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from venueos.common.problems import NotFound, Problem, problem_json_response


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
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means not ready
        return JsonResponse(
            {"status": "unavailable", "failing": {"database": str(exc)[:200]}},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": {"database": "ok"}})
