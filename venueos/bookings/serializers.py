from datetime import UTC

from rest_framework import serializers

from venueos.bookings.models import Booking, BookingStatus
from venueos.common.timeutils import AwareDateTimeField


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
        ]


class HistoryEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    old_values = serializers.JSONField(allow_null=True)
    new_values = serializers.JSONField(allow_null=True)
    actor_id = serializers.UUIDField(allow_null=True)
    created_at = AwareDateTimeField()
    request_id = serializers.CharField()


def _stamp(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def booking_json(booking: Booking) -> dict:
    """The booking JSON of api.md, built directly: lists render many of these,
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
        "start_time": _stamp(booking.start_time),
        "end_time": _stamp(booking.end_time),
        "title": booking.title,
        "description": booking.description,
        "attendee_count": booking.attendee_count,
        "external_meeting_url": booking.external_meeting_url,
        "status": booking.status,
        "created_at": _stamp(booking.created_at),
        "updated_at": _stamp(booking.updated_at),
        "cancelled_at": _stamp(booking.cancelled_at),
        "cancellation_reason": booking.cancellation_reason,
    }
