"""RFC 9457 problem details: the one shape of every API error.

Services raise `Problem` subclasses (domain errors); DRF's own exceptions and
Django's `ValidationError` are translated here as well, so a client only ever
sees `application/problem+json` with `type`, `title`, `status` and `detail`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

PROBLEM_BASE = "https://venueos.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class Problem(Exception):
    """A domain error with its problem type; raise a subclass or pass `slug`."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad Request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        slug: str | None = None,
        title: str | None = None,
        status: int | None = None,
        errors: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        self.slug = slug or self.slug
        self.title = title or self.title
        self.status = status or self.status
        self.detail = detail or self.title
        self.errors = errors
        self.extra = extra
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class InvalidInput(Problem):
    status, slug, title = 400, "validation-error", "Invalid input"

    @classmethod
    def field(
        cls, field: str, message: str, *, slug: str | None = None
    ) -> InvalidInput:
        return cls(message, slug=slug, errors={field: [message]})


class NotAuthenticated(Problem):
    status, slug, title = 401, "not-authenticated", "Authentication required"


class PermissionDenied(Problem):
    status, slug, title = 403, "permission-denied", "Permission denied"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class SlugTaken(Conflict):
    """A slug (organization, venue, event) already used where it must be unique."""

    slug, title = "slug-taken", "Slug taken"


class IdempotencyMismatch(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"

    @classmethod
    def for_limit(cls, limit: int) -> PayloadTooLarge:
        return cls(f"The request body is larger than {limit:,} bytes.")


class ServiceUnavailable(Problem):
    status, slug, title = 503, "unavailable", "Service unavailable"


def problem_response(
    problem: Problem, headers: dict[str, str] | None = None
) -> Response:
    response = Response(
        problem.as_dict(),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )
    return response


def _flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors by field; problem bodies carry one flat field map."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # DRF 3.18 reports list items as {index: …}
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for field, messages in _flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}[{index}]" if prefix else f"[{index}]"
                for field, messages in _flatten_errors(item, name).items():
                    flat.setdefault(field, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _summary(errors: dict[str, list[str]]) -> str:
    parts = [f"{field}: {messages[0]}" for field, messages in errors.items()]
    return "; ".join(parts[:3]) + (" …" if len(parts) > 3 else "")


def to_problem(exc: Exception) -> Problem | None:
    """Translate any known exception into a Problem; None for unknown ones."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, drf.ValidationError):
        errors = _flatten_errors(exc.detail)
        return InvalidInput(_summary(errors), errors=errors)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        errors = _flatten_errors(detail)
        return InvalidInput(_summary(errors), errors=errors)
    if isinstance(exc, drf.ParseError):
        return Problem(
            f"The request body is not valid JSON: {exc.detail}",
            slug="malformed-request",
            title="Malformed request",
        )
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return NotAuthenticated(str(exc.detail))
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        detail = getattr(exc, "detail", None)
        return PermissionDenied(str(detail) if detail else None)
    if isinstance(exc, (drf.NotFound, Http404)):
        return NotFound("No such resource, or it is not yours to see.")
    if isinstance(exc, drf.MethodNotAllowed):
        return Problem(
            str(exc.detail),
            status=405,
            slug="method-not-allowed",
            title="Method not allowed",
        )
    if isinstance(exc, drf.NotAcceptable):
        return Problem(
            str(exc.detail), status=406, slug="not-acceptable", title="Not acceptable"
        )
    if isinstance(exc, drf.UnsupportedMediaType):
        return Problem(
            f"{exc.detail} Send JSON with 'Content-Type: application/json'.",
            status=415,
            slug="unsupported-media-type",
            title="Unsupported media type",
        )
    if isinstance(exc, drf.Throttled):
        return Problem(
            str(exc.detail),
            status=429,
            slug="throttled",
            title="Too many requests",
            retry_after=math.ceil(exc.wait) if exc.wait else None,
        )
    if isinstance(exc, drf.APIException):
        return Problem(
            str(exc.detail), status=exc.status_code, slug="error", title="Error"
        )
    return None


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    problem = to_problem(exc)
    if problem is None:
        return None  # let Django's 500 handler answer (also a problem body, see urls)
    headers = {}
    if isinstance(exc, drf.Throttled) and exc.wait:
        # Round up: "Retry-After: 0" while still throttled would invite a retry storm.
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if problem.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return problem_response(problem, headers=headers)


def problem_json_response(problem: Problem) -> JsonResponse:
    """For plain Django views (404/500 handlers) outside DRF."""
    return JsonResponse(
        problem.as_dict(), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
