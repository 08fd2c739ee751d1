"""GET /api/v1/availability/search: free time of one space or of a venue.

Thin: parse the query string, call `space_availability`, serialize. Every bad
input is a 400 problem with its own type. Ids that name nothing (or a space of
an archived venue, or an archived venue) are 400 as well (`unknown-space`,
`unknown-venue`), like unknown ids in request bodies elsewhere: the search
itself exists, its input is wrong. Anonymous callers are welcome.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from venueos.bookings.availability import space_availability
from venueos.common.api import parse_uuid
from venueos.common.problems import InvalidInput
from venueos.common.timeutils import AwareDateTimeField, parse_aware
from venueos.venues.models import Space, Venue

MAX_WINDOW = timedelta(days=31)
MAX_FEATURES = 20


class AvailabilitySpaceOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    venue_id = serializers.UUIDField()
    capacity = serializers.IntegerField()
    features = serializers.ListField(child=serializers.CharField())


class AvailableSlotOut(serializers.Serializer):
    start_time = AwareDateTimeField()
    end_time = AwareDateTimeField()
    duration_minutes = serializers.IntegerField()


class SpaceAvailabilityOut(serializers.Serializer):
    space = AvailabilitySpaceOut()
    facility = AvailabilitySpaceOut(
        source="space", help_text="Alias of `space` (Phase 1 name)."
    )
    available_slots = AvailableSlotOut(many=True)
    next_available = AwareDateTimeField(
        allow_null=True,
        help_text="First start at or after the window's start (up to the booking "
        "horizon) where `duration` fits; null if none.",
    )


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


def _duration(params, venue: Venue) -> int:
    duration = _positive_int(params, "duration", "invalid-duration")
    if duration is None:
        return venue.slot_minutes
    if duration % venue.slot_minutes:
        raise _invalid(
            "duration",
            f"duration must be a multiple of the venue's {venue.slot_minutes}-minute "
            "slot.",
            "invalid-duration",
        )
    if duration > venue.max_duration_minutes:
        raise _invalid(
            "duration",
            f"duration may be at most {venue.max_duration_minutes} minutes here.",
            "invalid-duration",
        )
    return duration


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


def _stamp(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def availability_json(result) -> dict:
    """`SpaceAvailabilityOut`, built directly: a venue search renders hundreds of
    slots, where DRF's per-field machinery costs more than the search itself.
    A test keeps the two identical."""
    space = result.space
    space_json = {
        "id": str(space.id),
        "name": space.name,
        "venue_id": str(space.venue_id),
        "capacity": space.capacity,
        "features": list(space.features),
    }
    return {
        "space": space_json,
        "facility": dict(space_json),
        "available_slots": [
            {
                "start_time": _stamp(slot.start_time),
                "end_time": _stamp(slot.end_time),
                "duration_minutes": slot.duration_minutes,
            }
            for slot in result.available_slots
        ],
        "next_available": _stamp(result.next_available),
    }


class AvailabilitySearchApi(APIView):
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
        if end <= start:
            raise _invalid(
                "end_time", "end_time must be after start_time.", "invalid-window"
            )
        if end - start > MAX_WINDOW:
            raise _invalid(
                "end_time",
                "The search window may span at most 31 days.",
                "window-too-long",
            )
        kind, target_id = _target(params)
        min_capacity = _positive_int(params, "min_capacity", "invalid-min-capacity")
        features = _features(params)

        spaces = Space.objects.filter(is_bookable=True)
        if min_capacity:
            spaces = spaces.filter(capacity__gte=min_capacity)
        if features:
            spaces = spaces.filter(features__contains=features)
        if kind == "space":
            space = (
                Space.objects.select_related("venue")
                .filter(pk=target_id, venue__archived_at__isnull=True)
                .first()
            )
            if space is None:
                raise _invalid("space_id", "No such space.", "unknown-space")
            if not space.is_bookable:
                raise _invalid(
                    "space_id",
                    f"'{space.name}' cannot be booked.",
                    "space-not-bookable",
                )
            venue = space.venue
            duration = _duration(params, venue)
            matches = (min_capacity is None or space.capacity >= min_capacity) and set(
                features
            ) <= set(space.features)
            found = [space] if matches else []
        else:
            venue = Venue.objects.filter(pk=target_id, archived_at__isnull=True).first()
            if venue is None:
                raise _invalid("venue_id", "No such venue.", "unknown-venue")
            duration = _duration(params, venue)
            found = list(spaces.filter(venue=venue).order_by("name", "id"))
            for space in found:
                space.venue = venue  # one venue object, not a join per row

        results = space_availability(
            spaces=found, start=start, end=end, duration_minutes=duration
        )
        return Response([availability_json(result) for result in results])


class AvailabilitySearchNoSlashApi(AvailabilitySearchApi):
    """The same search without the trailing slash (documented once, above)."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)
