"""Per-request context: a request id on every response, and the facts the audit
log records (IP, user agent, request id) without threading them through every
service signature."""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import re
import time
import uuid
from dataclasses import dataclass
from functools import partial

logger = logging.getLogger(__name__)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    user_agent: str


current_request: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "current_request", default=None
)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(meta: dict) -> str | None:
    """The client's address: the socket's peer, unless the deployment says
    (`VENUEOS_TRUSTED_PROXIES = n`) that n reverse proxies stand in front, each
    appending the address it saw to `X-Forwarded-For`. Then the n-th entry from
    the right is the one the outermost trusted proxy saw; anything left of it
    is the client's own claim and never believed."""
    from django.conf import settings

    remote = _valid_ip(meta.get("REMOTE_ADDR") or "")
    trusted = getattr(settings, "VENUEOS_TRUSTED_PROXIES", 0)
    if trusted <= 0:
        return remote
    forwarded = [
        hop.strip()
        for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if not forwarded:
        return remote
    # The last trusted proxy is the socket peer; it appended the hop before it.
    hops = forwarded[-trusted:]
    return _valid_ip(hops[0]) or remote


def request_client_ip(request) -> str | None:
    return client_ip(request.META)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        context = RequestContext(
            request_id=request_id,
            ip=client_ip(request.META),
            user_agent=request.headers.get("User-Agent", "")[:500],
        )
        request.request_id = request_id
        token = current_request.set(context)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ReleaseRequestMiddleware:
    """Outermost: once the server has closed the response, drop what points
    back at the request, so that reference counting frees the request's
    objects at once.

    Django's authentication middleware closes a lazy `user` (and `auser`)
    over the request, and the messages middleware gives it a storage that
    points back at it: each request was left in a ring that only Python's
    cycle collector could free, and under load its full collections stopped
    the worker for 10 to 35 ms (docs/benchmarks.md). API views cut their own
    rings (`venueos.common.api.ApiView`). Django's handler closes the request
    the same way, with a closer on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response._resource_closers.append(partial(_release, request))
        return response


# Attributes of a finished request that refer back to it.
_BACK_REFERENCES = ("user", "auser", "_cached_user", "_messages")


def _release(request) -> None:
    for name in _BACK_REFERENCES:
        request.__dict__.pop(name, None)


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/health/"))


class RejectOversizeBodyMiddleware:
    """A declared body over `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused before any
    code reads it: 413, problem+json for the API. (Django would raise
    RequestDataTooBig wherever the body is first read, answered as an HTML
    400; a body with no Content-Length is capped by the JSON parser.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            from django.http import HttpResponse

            from venueos.common.problems import PayloadTooLarge, problem_json_response

            if _is_api(request):
                return problem_json_response(PayloadTooLarge.for_limit(limit))
            return HttpResponse("Request body too large.", status=413)
        return self.get_response(request)


def _database_failure(exception: BaseException) -> BaseException | None:
    """The error of a database that went away under `exception`, or None.

    Django raises its own OperationalError or InterfaceError. A job deferred in
    the request's transaction reaches the database through procrastinate,
    whose connector raises a `ConnectorException` caused by psycopg's error."""
    import psycopg
    from django.db import InterfaceError, OperationalError
    from procrastinate.exceptions import ConnectorException

    if isinstance(exception, (OperationalError, InterfaceError)):
        return exception
    if isinstance(exception, ConnectorException) and isinstance(
        exception.__cause__, (psycopg.OperationalError, psycopg.InterfaceError)
    ):
        return exception.__cause__
    return None


def _database_unreachable(error: BaseException) -> bool:
    """No connection could be had at all (as opposed to one query failing):
    the pool timed out, or the server refuses connections while it starts."""
    from psycopg import errors
    from psycopg_pool import PoolTimeout

    causes = (error, error.__cause__)
    return any(
        isinstance(cause, (PoolTimeout, errors.CannotConnectNow)) for cause in causes
    ) or ("connection refused" in str(error).lower())


class DatabaseUnavailableMiddleware:
    """The database went away (a restart, a failover, a full pool): 503 with
    Retry-After, problem+json for the API, never a 500. Lock timeouts are also
    OperationalErrors but never get here: the services turn them into 409s.

    When no connection can be had at all, this process answers 503 at once for
    the next `BACKOFF_SECONDS` instead of letting every request wait out the
    pool's timeout: waiting requests would hold the worker's threads, and the
    requests queued behind them would wait far longer than any lock may."""

    BACKOFF_SECONDS = 1.0
    _unreachable_until = 0.0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if time.monotonic() < DatabaseUnavailableMiddleware._unreachable_until:
            return self._unavailable(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        error = _database_failure(exception)
        if error is None:
            return None
        logger.warning(
            "database unavailable (request %s): %s",
            getattr(request, "request_id", "-"),
            error,
        )
        if _database_unreachable(error):
            DatabaseUnavailableMiddleware._unreachable_until = (
                time.monotonic() + self.BACKOFF_SECONDS
            )
        return self._unavailable(request)

    @staticmethod
    def _unavailable(request):
        from django.http import HttpResponse

        from venueos.common.problems import ServiceUnavailable, problem_json_response

        if _is_api(request):
            response = problem_json_response(
                ServiceUnavailable(
                    "The database is unavailable for a moment; retry shortly."
                )
            )
        else:
            response = HttpResponse(
                "<h1>Back in a moment</h1><p>The service is briefly unavailable. "
                "Please try again in a few seconds.</p>",
                status=503,
            )
        response["Retry-After"] = "1"
        return response


class RejectNulInQueryMiddleware:
    """A NUL character in the query string can reach no database column; refuse
    it before any view turns it into a query (400, problem+json for the API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            from django.http import HttpResponseBadRequest

            from venueos.common.problems import InvalidInput, problem_json_response

            if _is_api(request):
                return problem_json_response(
                    InvalidInput("Query parameters may not contain the NUL character.")
                )
            return HttpResponseBadRequest("Query parameters may not contain NUL.")
        return self.get_response(request)
