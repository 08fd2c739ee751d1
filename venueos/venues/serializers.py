from rest_framework import serializers

from venueos.common.timeutils import AwareDateTimeField, format_hhmm, parse_hhmm
from venueos.venues.models import (
    MAX_BUFFER_MINUTES,
    MAX_CUSTOMER_BOOKING_LIMIT,
    Closure,
    Space,
    Venue,
)


class VenueIn(serializers.Serializer):
    organization_id = serializers.UUIDField(
        required=False, help_text="Admins only; managers use their own."
    )
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)
    timezone = serializers.CharField(max_length=64)
    address = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="{street, city, postcode, region, country (ISO 3166-1 alpha-2)}, "
        "all optional, other keys kept; a plain string is stored as street",
    )
    max_capacity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    slot_minutes = serializers.IntegerField(min_value=1, max_value=240, required=False)
    min_duration_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, required=False
    )
    max_duration_minutes = serializers.IntegerField(
        min_value=1, max_value=1440, required=False
    )
    booking_horizon_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False
    )
    settings = serializers.DictField(required=False)
    max_active_bookings_per_customer = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CUSTOMER_BOOKING_LIMIT,
        required=False,
        allow_null=True,
        help_text="Active (pending or confirmed) bookings still to come one "
        "customer may hold here (default 20; null: no limit; the venue's "
        "managers are exempt)",
    )


class VenuePatchIn(VenueIn):
    organization_id = None  # a venue stays with its organization

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class VenueOut(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization_id = serializers.UUIDField(read_only=True)
    created_at = AwareDateTimeField(read_only=True)
    updated_at = AwareDateTimeField(read_only=True)
    archived_at = AwareDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Venue
        fields = [
            "id",
            "organization_id",
            "organization",
            "name",
            "slug",
            "timezone",
            "address",
            "max_capacity",
            "slot_minutes",
            "min_duration_minutes",
            "max_duration_minutes",
            "booking_horizon_days",
            "max_active_bookings_per_customer",
            "settings",
            "archived_at",
            "created_at",
            "updated_at",
        ]


class SpaceIn(serializers.Serializer):
    venue_id = serializers.UUIDField()
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    name = serializers.CharField(max_length=200)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    is_bookable = serializers.BooleanField(required=False, default=True)
    requires_approval = serializers.BooleanField(required=False, default=False)
    features = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    buffer_before_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        required=False,
        help_text="Set-up time blocked before each booking (conflicts only)",
    )
    buffer_after_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        required=False,
        help_text="Clean-up time blocked after each booking (conflicts only)",
    )


class SpacePatchIn(serializers.Serializer):
    parent_id = serializers.UUIDField(required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False)
    capacity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False
    )
    is_bookable = serializers.BooleanField(required=False)
    requires_approval = serializers.BooleanField(required=False)
    features = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    buffer_before_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        required=False,
        help_text="Set-up time blocked before each booking (conflicts only)",
    )
    buffer_after_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        required=False,
        help_text="Clean-up time blocked after each booking (conflicts only)",
    )


class SpaceOut(serializers.ModelSerializer):
    venue_id = serializers.UUIDField(read_only=True)
    parent_id = serializers.UUIDField(read_only=True, allow_null=True)
    path = serializers.ListField(
        child=serializers.UUIDField(),
        read_only=True,
        help_text="Ancestor ids, from the root down",
    )

    class Meta:
        model = Space
        fields = [
            "id",
            "venue_id",
            "parent_id",
            "name",
            "capacity",
            "is_bookable",
            "requires_approval",
            "features",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "path",
        ]


class SpaceTreeOut(SpaceOut):
    children = serializers.SerializerMethodField()

    class Meta(SpaceOut.Meta):
        fields = [*SpaceOut.Meta.fields, "children"]

    def get_children(self, space) -> list[dict]:
        return SpaceTreeOut(space.tree_children, many=True).data


class SpaceListItemOut(SpaceOut):
    """What `GET /venues/{id}/spaces/` answers, documented once for both forms:
    a flat list, or with `?tree=true` the roots with `children` nested."""

    children = SpaceTreeOut(
        many=True, required=False, help_text="Only with ?tree=true: nested children"
    )

    class Meta(SpaceOut.Meta):
        fields = [*SpaceOut.Meta.fields, "children"]


class HhmmField(serializers.CharField):
    """'HH:MM' in, minutes after midnight out. The length is checked by the
    pattern, not by `max_length`: CharField's validators would run on the
    parsed integer and crash."""

    def to_internal_value(self, data):
        try:
            return parse_hhmm(str(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value):
        return format_hhmm(value)


class OpeningHoursItem(serializers.Serializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="Monday 0 … Sunday 6"
    )
    opens = HhmmField(help_text="HH:MM, 00:00 to 24:00")
    closes = HhmmField(help_text="HH:MM, 00:00 to 24:00")


class OpeningHoursOut(serializers.Serializer):
    weekday = serializers.IntegerField()
    opens = HhmmField(source="opens_minute")
    closes = HhmmField(source="closes_minute")


class ClosureIn(serializers.Serializer):
    start_time = AwareDateTimeField()
    end_time = AwareDateTimeField()
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    reason_public = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Tell customers the reason (else only that the time is closed)",
    )
    space_id = serializers.UUIDField(required=False, allow_null=True)


class ClosureOut(serializers.ModelSerializer):
    venue_id = serializers.UUIDField(read_only=True)
    space_id = serializers.UUIDField(read_only=True, allow_null=True)
    start_time = AwareDateTimeField(read_only=True)
    end_time = AwareDateTimeField(read_only=True)

    class Meta:
        model = Closure
        fields = [
            "id",
            "venue_id",
            "space_id",
            "start_time",
            "end_time",
            "reason",
            "reason_public",
        ]


class GateIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class GateOut(serializers.Serializer):
    id = serializers.UUIDField()
    venue_id = serializers.UUIDField()
    name = serializers.CharField()
