"""Venues, the space tree, opening hours and closures.

Invariants held by PostgreSQL (see migrations): slug unique per organization;
booking policy coherent (slot divides the day, durations on the grid, at most
24 h); a space's parent lies in the same venue (composite foreign key) and the
tree has no cycles (trigger, serialized per venue by an advisory lock); weekly
opening intervals never overlap within a day; a closure's space lies in its
venue.
"""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q

from venueos.accounts.models import Organization

MAX_BOOKING_MINUTES = 24 * 60
MAX_BUFFER_MINUTES = 240
# Bounds on what one venue can make every availability search read and answer
# (a week of 1-minute intervals was 5,040 rows and a 62 MB answer): a week
# of opening hours, and the closures still to come.
MAX_OPENING_HOURS_ROWS = 100
MAX_FUTURE_CLOSURES = 1000
# How many active (pending or confirmed) bookings still to come one customer
# may hold at a venue, unless the venue says otherwise (None: no limit).
DEFAULT_CUSTOMER_BOOKING_LIMIT = 20
MAX_CUSTOMER_BOOKING_LIMIT = 10_000


class Venue(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="venues"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    timezone = models.CharField(max_length=64)
    # Structured: see venueos/venues/addresses.py.
    address = models.JSONField(default=dict, blank=True)
    max_capacity = models.PositiveIntegerField()
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    min_duration_minutes = models.PositiveSmallIntegerField(default=15)
    max_duration_minutes = models.PositiveSmallIntegerField(default=8 * 60)
    booking_horizon_days = models.PositiveSmallIntegerField(default=365)
    # Active bookings still to come per customer (bookings/limits.py); null:
    # no limit. The venue's managers are not held to it.
    max_active_bookings_per_customer = models.PositiveIntegerField(
        null=True, blank=True, default=DEFAULT_CUSTOMER_BOOKING_LIMIT
    )
    settings = models.JSONField(default=dict, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="venue_slug_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(max_capacity__gte=1), name="venue_max_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=1, slot_minutes__lte=240),
                name="venue_slot_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(min_duration_minutes__gte=F("slot_minutes"))
                & Q(max_duration_minutes__gte=F("min_duration_minutes"))
                & Q(max_duration_minutes__lte=MAX_BOOKING_MINUTES),
                name="venue_duration_bounds",
            ),
            models.CheckConstraint(
                condition=Q(
                    booking_horizon_days__gte=1, booking_horizon_days__lte=3650
                ),
                name="venue_booking_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(max_active_bookings_per_customer__isnull=True)
                | Q(
                    max_active_bookings_per_customer__gte=1,
                    max_active_bookings_per_customer__lte=MAX_CUSTOMER_BOOKING_LIMIT,
                ),
                name="venue_customer_booking_limit_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def address_text(self) -> str:
        from venueos.venues.addresses import format_address

        return format_address(self.address)


class Space(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="spaces")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField()
    is_bookable = models.BooleanField(default=True)
    requires_approval = models.BooleanField(default=False)
    features = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    # Set-up and clean-up time: a booking of this space occupies
    # [start - before, end + after) for the conflict rule (the claims trigger
    # copies them onto each booking when it is made or moved).
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="space_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=MAX_BUFFER_MINUTES)
                & Q(buffer_after_minutes__lte=MAX_BUFFER_MINUTES),
                name="space_buffers_range",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="space_not_own_parent"
            ),
            # Target of the composite foreign keys that keep parents and closures in one venue.
            models.UniqueConstraint(
                fields=["id", "venue"], name="space_id_venue_unique"
            ),
        ]
        indexes = [GinIndex(fields=["features"], name="space_features_gin")]

    def __str__(self):
        return self.name


class OpeningHours(models.Model):
    """A weekly interval in venue-local time; minutes after local midnight."""

    venue = models.ForeignKey(
        Venue, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(help_text="Monday 0 … Sunday 6")
    opens_minute = models.PositiveSmallIntegerField()
    closes_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["weekday", "opens_minute"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="opening_weekday_range"
            ),
            models.CheckConstraint(
                condition=Q(opens_minute__lt=F("closes_minute"))
                & Q(closes_minute__lte=1440),
                name="opening_opens_before_closes",
            ),
            # EXCLUDE constraint against overlapping intervals: see migration 0002.
        ]

    def __str__(self):
        return (
            f"{self.venue} day {self.weekday} {self.opens_minute}-{self.closes_minute}"
        )


class Closure(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="closures")
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True, default="")
    # The reason is the venue's business ("tax audit", a tenant's name):
    # customers and anonymous callers learn only that the time is closed,
    # unless the managers mark the reason as public ("Public holiday").
    reason_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="closure_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "start_time"], name="closure_venue_start")
        ]

    def __str__(self):
        return f"{self.venue} closed {self.start_time:%Y-%m-%d %H:%M}"


DEFAULT_DOOR_OPEN_MINUTES = 120


def door_open_minutes(venue: Venue) -> int:
    """How long before an event's start its doors (check-in) open: the venue
    setting `door_open_minutes` (validated by the venue services), else 120."""
    value = (venue.settings or {}).get("door_open_minutes")
    return value if isinstance(value, int) else DEFAULT_DOOR_OPEN_MINUTES


class Gate(models.Model):
    """An entrance of a venue where tickets are scanned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="gates")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["venue", "name"], name="gate_name_unique_per_venue"
            ),
        ]

    def __str__(self):
        return f"{self.venue} — {self.name}"


class DataVersion(models.Model):
    """Numbers that grow whenever something changes in a venue: `version` for
    anything a free-time answer depends on (the venue's policy, its spaces,
    hours and closures, and the claims of its bookings), `layout_version` for
    the venue's own rows only (migrations venues 0008, bookings 0009).

    Written only by deferred triggers at COMMIT under the change log's
    commit-order lock, so a read that sees a number sees every change that
    produced it: caches of derived reads (venueos/common/readcache.py) key on
    them and cannot serve an answer older than a change committed before the
    read began. No foreign key: the row may outlive its venue harmlessly.
    """

    venue_id = models.UUIDField(primary_key=True)
    version = models.BigIntegerField()
    layout_version = models.BigIntegerField()

    def __str__(self):
        return f"{self.venue_id} v{self.version} layout v{self.layout_version}"
