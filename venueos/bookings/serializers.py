from rest_framework import serializers

from venueos.bookings.models import Booking, BookingStatus
from venueos.common.timeutils import AwareDateTimeField, rfc3339_utc


class BookingCreateIn(serializers.Serializer):
    space_id = serializers.UUIDField(required=False)
    facility_id = serializers.UUIDField(required=False, help_text="Alias of space_id")
    start_time = AwareDateTimeField()
    end_time = AwareDateTimeField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    attendee_count = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, default=1
    )
    external_meeting_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    user_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Book for someone else (venue managers)",
    )

    def validate(self, attrs):
        space_id = attrs.pop("space_id", None)
        facility_id = attrs.pop("facility_id", None)
        if space_id and facility_id and space_id != facility_id:
            raise serializers.ValidationError(
                {"space_id": ["space_id and facility_id differ."]}
            )
        if not (space_id or facility_id):
            raise serializers.ValidationError({"space_id": ["This field is required."]})
        attrs["space_id"] = space_id or facility_id
        return attrs


class BookingPatchIn(serializers.Serializer):
    space_id = serializers.UUIDField(required=False)
    facility_id = serializers.UUIDField(required=False, help_text="Alias of space_id")
    start_time = AwareDateTimeField(required=False)
    end_time = AwareDateTimeField(required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True
    )
    attendee_count = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False
    )
    external_meeting_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True
    )

    def validate(self, attrs):
        facility_id = attrs.pop("facility_id", None)
        if facility_id and attrs.get("space_id", facility_id) != facility_id:
            raise serializers.ValidationError(
                {"space_id": ["space_id and facility_id differ."]}
            )
        if facility_id:
            attrs["space_id"] = facility_id
        return attrs


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class SpaceRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    venue_id = serializers.UUIDField()


class UserRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class BookingOut(serializers.ModelSerializer):
    space = SpaceRefOut(read_only=True)
    facility = SpaceRefOut(source="space", read_only=True)
    user = UserRefOut(read_only=True)
    created_by_id = serializers.UUIDField(read_only=True)
    venue_id = serializers.UUIDField(read_only=True)
    start_time = AwareDateTimeField(read_only=True)
    end_time = AwareDateTimeField(read_only=True)
    created_at = AwareDateTimeField(read_only=True)
    updated_at = AwareDateTimeField(read_only=True)
    cancelled_at = AwareDateTimeField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=BookingStatus.choices, read_only=True)
    series_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The recurring series, if any"
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "space",
            "facility",
            "venue_id",
            "user",
            "created_by_id",
            "start_time",
            "end_time",
            "title",
            "description",
            "attendee_count",
            "external_meeting_url",
            "status",
            "created_at",
            "updated_at",
            "cancelled_at",
            "cancellation_reason",
            "series_id",
        ]


class HistoryEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    old_values = serializers.JSONField(allow_null=True)
    new_values = serializers.JSONField(allow_null=True)
    actor_id = serializers.UUIDField(allow_null=True)
    created_at = AwareDateTimeField()
    request_id = serializers.CharField()


def booking_json(booking: Booking) -> dict:
    """The booking JSON of docs/api.md, built directly: lists render many of these,
    and DRF's field machinery costs several times more per object. The schema
    is still described by `BookingOut`; a test keeps the two identical."""
    space = booking.space
    space_ref = {
        "id": str(space.id),
        "name": space.name,
        "venue_id": str(space.venue_id),
    }
    return {
        "id": str(booking.id),
        "space": space_ref,
        "facility": dict(space_ref),
        "venue_id": str(booking.venue_id),
        "user": {"id": str(booking.user.id), "full_name": booking.user.full_name},
        "created_by_id": str(booking.created_by_id),
        "start_time": rfc3339_utc(booking.start_time),
        "end_time": rfc3339_utc(booking.end_time),
        "title": booking.title,
        "description": booking.description,
        "attendee_count": booking.attendee_count,
        "external_meeting_url": booking.external_meeting_url,
        "status": booking.status,
        "created_at": rfc3339_utc(booking.created_at),
        "updated_at": rfc3339_utc(booking.updated_at),
        "cancelled_at": rfc3339_utc(booking.cancelled_at),
        "cancellation_reason": booking.cancellation_reason,
        "series_id": str(booking.series_id) if booking.series_id else None,
    }


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
                "start_time": rfc3339_utc(slot.start_time),
                "end_time": rfc3339_utc(slot.end_time),
                "duration_minutes": slot.duration_minutes,
            }
            for slot in result.available_slots
        ],
        "next_available": rfc3339_utc(result.next_available),
    }


class RecurrenceIn(serializers.Serializer):
    freq = serializers.ChoiceField(choices=["daily", "weekly", "monthly"])
    interval = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, default=1
    )
    count = serializers.IntegerField(min_value=1, max_value=200, required=False)
    until = serializers.DateField(
        required=False, help_text="Last local date (inclusive)"
    )
    byweekday = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        min_length=1,
        max_length=7,
        help_text="Weekdays, Monday 0 … Sunday 6",
    )

    def validate(self, attrs):
        if ("count" in attrs) == ("until" in attrs):
            raise serializers.ValidationError("Give exactly one of count and until.")
        return attrs


class SeriesCreateIn(BookingCreateIn):
    recurrence = RecurrenceIn()
    on_conflict = serializers.ChoiceField(
        choices=["fail", "skip"], required=False, default="fail"
    )


class RecurrenceOut(serializers.Serializer):
    freq = serializers.CharField()
    interval = serializers.IntegerField()
    count = serializers.IntegerField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    byweekday = serializers.ListField(child=serializers.IntegerField(), allow_null=True)


class SkippedOccurrenceOut(serializers.Serializer):
    start_time = AwareDateTimeField()
    end_time = AwareDateTimeField()
    reason = serializers.CharField(help_text="A problem slug, e.g. booking-conflict")
    detail = serializers.CharField()


class SeriesOut(serializers.Serializer):
    id = serializers.UUIDField()
    space_id = serializers.UUIDField()
    venue_id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    title = serializers.CharField()
    timezone = serializers.CharField()
    recurrence = RecurrenceOut()
    bookings = BookingOut(many=True)
    skipped = SkippedOccurrenceOut(many=True, required=False)
    created_at = AwareDateTimeField()


def series_json(series, bookings, skipped=None) -> dict:
    body = {
        "id": str(series.id),
        "space_id": str(series.space_id),
        "venue_id": str(series.venue_id),
        "user_id": str(series.user_id),
        "title": series.title,
        "timezone": series.timezone,
        "recurrence": series.recurrence,
        "bookings": [booking_json(booking) for booking in bookings],
        "created_at": rfc3339_utc(series.created_at),
    }
    if skipped is not None:
        body["skipped"] = [item.as_json() for item in skipped]
    return body
