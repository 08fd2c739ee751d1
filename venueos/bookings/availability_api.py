"""GET /api/v1/availability/search: free time of one space or of a venue.

Thin: parse the query string, call `availability_search` (which owns the
window, duration and target rules), render. Every bad input is a 400 problem
with its own type. Anonymous callers are welcome.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer

from venueos.bookings.availability import availability_search
from venueos.bookings.serializers import SpaceAvailabilityOut, availability_json
from venueos.common.api import ApiView, parse_uuid
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import parse_aware

MAX_FEATURES = 20


def _invalid(field: str, message: str, slug: str) -> InvalidInput:
    return InvalidInput.field(field, message, slug=slug)


def _required_time(params, name: str):
    value = params.get(name)
    if not value:
        raise _invalid(
            name,
            f"{name} is required (RFC 3339 with an offset).",
            "missing-parameter",
        )
    return parse_aware(value, name)


def _uuid(params, name: str) -> UUID:
    return parse_uuid(params.get(name, ""), name, slug="invalid-id")


def _positive_int(params, name: str, slug: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise _invalid(name, f"{name} must be a whole number.", slug) from exc
    if number < 1:
        raise _invalid(name, f"{name} must be at least 1.", slug)
    return number


def _features(params) -> list[str]:
    raw = params.get("features") or ""
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if len(names) > MAX_FEATURES or any(len(name) > 50 for name in names):
        raise _invalid(
            "features",
            f"Give at most {MAX_FEATURES} feature names of up to 50 characters.",
            "invalid-features",
        )
    return names


def _target(params) -> tuple[str, UUID]:
    """Exactly one of space_id (alias facility_id) or venue_id."""
    space_names = [n for n in ("space_id", "facility_id") if params.get(n)]
    space_ids = {_uuid(params, name) for name in space_names}
    if len(space_ids) > 1:
        raise _invalid(
            "space_id",
            "space_id and facility_id name different spaces; send one of them.",
            "conflicting-parameters",
        )
    if space_ids and params.get("venue_id"):
        raise _invalid(
            "venue_id",
            "Send either space_id (or facility_id) or venue_id, not both.",
            "conflicting-parameters",
        )
    if space_ids:
        return "space", space_ids.pop()
    if params.get("venue_id"):
        return "venue", _uuid(params, "venue_id")
    raise _invalid(
        "space_id",
        "Say what to search: space_id (or facility_id) or venue_id.",
        "missing-parameter",
    )


SEARCH_PARAMETERS = [
    OpenApiParameter(
        "start_time",
        OpenApiTypes.DATETIME,
        required=True,
        description="Window start, RFC 3339 with an offset.",
    ),
    OpenApiParameter(
        "end_time",
        OpenApiTypes.DATETIME,
        required=True,
        description="Window end (exclusive), after start_time, at most 31 days later.",
    ),
    OpenApiParameter("space_id", OpenApiTypes.UUID, description="One space."),
    OpenApiParameter(
        "facility_id", OpenApiTypes.UUID, description="Alias of space_id."
    ),
    OpenApiParameter(
        "venue_id",
        OpenApiTypes.UUID,
        description="Every bookable space of a venue (instead of space_id).",
    ),
    OpenApiParameter(
        "duration",
        OpenApiTypes.INT,
        description="Minutes; a multiple of the venue's slot, at most its maximum "
        "duration. Default: the slot size. Never less than the venue's minimum.",
    ),
    OpenApiParameter(
        "min_capacity", OpenApiTypes.INT, description="Spaces holding at least this."
    ),
    OpenApiParameter(
        "features",
        str,
        description="Comma-separated feature names; a space must have all of them.",
    ),
]


class AvailabilitySearchApi(ApiView):
    @extend_schema(
        operation_id="availability_search",
        summary="Free time of a space or of a venue's spaces",
        description=(
            "Maximal free intervals inside the window, on the slot grid, each at "
            "least `duration` long: opening hours (venue-local, DST-correct) minus "
            "closures of the venue, the space or its ancestors, minus active "
            "bookings of the space, its ancestors and its descendants. Only "
            "bookable time is listed (not in the past, within the booking horizon). "
            "Unknown or archived ids are 400 (`unknown-space`, `unknown-venue`)."
        ),
        parameters=SEARCH_PARAMETERS,
        responses={200: SpaceAvailabilityOut(many=True)},
        tags=["availability"],
    )
    def get(self, request):
        params = request.query_params
        start = _required_time(params, "start_time")
        end = _required_time(params, "end_time")
        kind, target_id = _target(params)
        results = availability_search(
            start=start,
            end=end,
            space_id=target_id if kind == "space" else None,
            venue_id=target_id if kind == "venue" else None,
            duration_minutes=_positive_int(params, "duration", "invalid-duration"),
            min_capacity=_positive_int(params, "min_capacity", "invalid-min-capacity"),
            features=_features(params),
            render=render_json,
        )
        return HttpResponse(results, content_type="application/json")


def render_json(results) -> bytes:
    """The response body, rendered once per cached answer (a venue's day of
    slots costs more to render than to look up)."""
    return JSONRenderer().render([availability_json(result) for result in results])


class AvailabilitySearchNoSlashApi(AvailabilitySearchApi):
    """The same search without the trailing slash (documented once, above)."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)
