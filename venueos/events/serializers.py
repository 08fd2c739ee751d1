from rest_framework import serializers

from venueos.common.timeutils import AwareDateTimeField, rfc3339_utc
from venueos.events.models import (
    MAX_REGISTRATION_QUANTITY,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    WaitlistStatus,
)

# For the OpenAPI description of the status filters.
EVENT_STATUSES = list(EventStatus.values)
REGISTRATION_STATUSES = list(RegistrationStatus.values)
WAITLIST_STATUS_FILTERS = [*WaitlistStatus.values, "all"]


def _space_alias(attrs: dict) -> dict:
    """`facility_id` is accepted as an alias of `space_id` (Phase 1 spec)."""
    if "facility_id" in attrs:
        facility_id = attrs.pop("facility_id")
        if "space_id" in attrs and attrs["space_id"] != facility_id:
            raise serializers.ValidationError(
                {"space_id": ["space_id and facility_id differ."]}
            )
        attrs["space_id"] = facility_id
    return attrs


class EventIn(serializers.Serializer):
    venue_id = serializers.UUIDField()
    space_id = serializers.UUIDField(required=False, allow_null=True)
    facility_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Alias of space_id"
    )
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)
    description = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, default=""
    )
    start_at = AwareDateTimeField()
    end_at = AwareDateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    settings = serializers.DictField(required=False)

    def validate(self, attrs):
        return _space_alias(attrs)


class EventPatchIn(serializers.Serializer):
    space_id = serializers.UUIDField(required=False, allow_null=True)
    facility_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Alias of space_id"
    )
    name = serializers.CharField(max_length=200, required=False)
    slug = serializers.SlugField(max_length=100, required=False)
    description = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True
    )
    start_at = AwareDateTimeField(required=False)
    end_at = AwareDateTimeField(required=False)
    capacity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False
    )
    settings = serializers.DictField(required=False)

    def validate(self, attrs):
        return _space_alias(attrs)


class EventTransitionIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=EventStatus.choices)


class EventOut(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization_id = serializers.UUIDField(read_only=True)
    venue_id = serializers.UUIDField(read_only=True)
    space_id = serializers.UUIDField(read_only=True, allow_null=True)
    facility_id = serializers.UUIDField(
        source="space_id", read_only=True, allow_null=True
    )
    hold_booking_id = serializers.UUIDField(
        source="hold_id",
        read_only=True,
        allow_null=True,
        help_text="The booking that keeps the space free for the event",
    )
    start_at = AwareDateTimeField(read_only=True)
    end_at = AwareDateTimeField(read_only=True)
    available = serializers.IntegerField(read_only=True)
    is_full = serializers.BooleanField(read_only=True)
    is_past = serializers.BooleanField(read_only=True)
    is_ongoing = serializers.BooleanField(read_only=True)
    display_status = serializers.CharField(
        read_only=True,
        help_text="'sold_out' when on sale with no places left, else the status",
    )
    created_at = AwareDateTimeField(read_only=True)
    updated_at = AwareDateTimeField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "organization_id",
            "organization",
            "venue_id",
            "space_id",
            "facility_id",
            "hold_booking_id",
            "name",
            "slug",
            "description",
            "start_at",
            "end_at",
            "capacity",
            "tickets_sold",
            "available",
            "is_full",
            "is_past",
            "is_ongoing",
            "status",
            "display_status",
            "settings",
            "created_at",
            "updated_at",
        ]


class RegistrationIn(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_REGISTRATION_QUANTITY, required=False, default=1
    )


class AttendeeOut(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class RegistrationEventOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    venue_id = serializers.UUIDField()
    start_at = AwareDateTimeField()
    end_at = AwareDateTimeField()
    status = serializers.CharField()


class RegistrationOut(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True)
    code = serializers.CharField(
        read_only=True,
        help_text="The ticket's code (unguessable, URL-safe), scanned at check-in; "
        "as a QR code at GET /registrations/{id}/qr.svg",
    )
    event = RegistrationEventOut(read_only=True)
    attendee = AttendeeOut(read_only=True)
    created_at = AwareDateTimeField(read_only=True)
    cancelled_at = AwareDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "event_id",
            "event",
            "attendee",
            "quantity",
            "status",
            "code",
            "created_at",
            "cancelled_at",
        ]


def registration_json(registration: Registration) -> dict:
    """The registration JSON of docs/api.md, built directly: a flash sale
    renders one per winner, and the ModelSerializer built its nested fields
    anew for each. The schema is still described by `RegistrationOut`; a test
    keeps the two identical."""
    event, attendee = registration.event, registration.attendee
    return {
        "id": str(registration.id),
        "event_id": str(registration.event_id),
        "event": {
            "id": str(event.id),
            "name": event.name,
            "venue_id": str(event.venue_id),
            "start_at": rfc3339_utc(event.start_at),
            "end_at": rfc3339_utc(event.end_at),
            "status": event.status,
        },
        "attendee": {"id": str(attendee.id), "full_name": attendee.full_name},
        "quantity": registration.quantity,
        "status": registration.status,
        "code": registration.code,
        "created_at": rfc3339_utc(registration.created_at),
        "cancelled_at": rfc3339_utc(registration.cancelled_at),
    }


# --- waiting lists ----------------------------------------------------------


class WaitlistIn(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_REGISTRATION_QUANTITY, required=False, default=1
    )


class WaitlistEntryOut(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event = RegistrationEventOut()
    quantity = serializers.IntegerField()
    position = serializers.SerializerMethodField(
        help_text="1-based place in the queue while waiting, else null"
    )
    status = serializers.ChoiceField(choices=WaitlistStatus.choices)
    registration_id = serializers.UUIDField(allow_null=True)
    created_at = AwareDateTimeField()
    promoted_at = AwareDateTimeField(allow_null=True)
    left_at = AwareDateTimeField(allow_null=True)

    def get_position(self, entry) -> int | None:
        if entry.status != WaitlistStatus.WAITING:
            return None
        position = getattr(entry, "queue_position", None)
        return position if position is not None else getattr(entry, "position", None)


class WaitlistQueueEntryOut(WaitlistEntryOut):
    attendee = AttendeeOut()


# --- gates and check-in -----------------------------------------------------


class CheckInIn(serializers.Serializer):
    code = serializers.CharField(max_length=200, trim_whitespace=True)
    gate_id = serializers.UUIDField(required=False, allow_null=True)


class CheckInOut(serializers.Serializer):
    id = serializers.UUIDField()
    registration_id = serializers.UUIDField()
    quantity = serializers.IntegerField(help_text="people admitted with this ticket")
    gate_id = serializers.UUIDField(allow_null=True)
    checked_in_at = AwareDateTimeField()


class GateCountOut(serializers.Serializer):
    gate_id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(help_text="tickets admitted at this gate")
    people = serializers.IntegerField(help_text="people admitted at this gate")


class CheckInCountsOut(serializers.Serializer):
    total = serializers.IntegerField(help_text="tickets admitted")
    people = serializers.IntegerField(help_text="people admitted")
    by_gate = GateCountOut(many=True)
