"""Bookings and their claims on the space tree.

Invariants held by PostgreSQL (see migrations):
- `booking_no_overlap_same_space`: two active bookings of one space never overlap.
- `claim_no_conflict`: every active booking of space S holds an *exclusive*
  claim on S and a *shared* claim on each ancestor of S; claims are written by
  a trigger on the booking table, so no code path can forget them. An exclusive
  claim's scope is the unbounded int8range, a shared one's is [k, k+1) with k
  drawn from a sequence (unique per claim), and `EXCLUDE (space_id =, period &&, scope &&)` then
  lets shared claims coexist while anything meeting an exclusive claim fails.
  So a booking blocks its space's ancestors and descendants, never its siblings.
- Intervals are half-open `[start, end)`, so back-to-back bookings do not meet.
- Buffers (migration 0003): a claim's period is the booking's time widened by
  the set-up and clean-up minutes of its space, `[start - before, end + after)`.
  The booking keeps the buffers it was made or last moved with in its own
  columns `buffer_before_minutes` / `buffer_after_minutes` (raw SQL columns,
  written only by a BEFORE trigger), so changing a space's buffers later
  re-checks nothing already booked and `venueos check` can recompute the
  buffered overlaps without the claims table.

Lock order (services.py): advisory locks on the affected spaces are taken in
ascending key order, shared for ancestors and exclusive for the booked space,
so conflicting writers queue instead of deadlocking inside the constraint.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from venueos.venues.models import Space, Venue


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class BookingSeries(models.Model):
    """A recurring booking: its bookings carry `series`. The rule is kept as
    sent (normalised); each occurrence is an ordinary booking under every rule
    and constraint of a single one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="+")
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    recurrence = models.JSONField()
    # The zone the occurrences' local wall time was kept in (the venue's).
    timezone = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "booking series"

    def __str__(self):
        return f"{self.title} (series)"


class Booking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="bookings")
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings_created",
    )
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    attendee_count = models.PositiveIntegerField(default=1)
    external_meeting_url = models.URLField(max_length=500, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancellation_reason = models.CharField(max_length=500, blank=True, default="")
    # Grows on every change a calendar shows (time, space, title, description,
    # status): written only by a BEFORE trigger (migration 0005), whatever the
    # application sends; iCalendar feeds give it as SEQUENCE.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    series = models.ForeignKey(
        BookingSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="booking_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(attendee_count__gte=1),
                name="booking_attendee_count_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "cancelled"]),
                name="booking_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (
                    ~Q(status="cancelled")
                    & Q(cancelled_at__isnull=True, cancelled_by__isnull=True)
                ),
                name="booking_cancellation_consistent",
            ),
            # Duration <= 24 h and the exclusion constraint: migration 0002 (raw SQL).
        ]
        indexes = [
            models.Index(fields=["user", "start_time"], name="booking_user_start"),
            models.Index(fields=["venue", "start_time"], name="booking_venue_start"),
            models.Index(fields=["space", "start_time"], name="booking_space_start"),
            models.Index(
                fields=["series", "start_time"],
                name="booking_series_start",
                condition=Q(series__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.start_time:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class BookingClaim(models.Model):
    """Written and removed only by the database trigger on bookings_booking."""

    id = models.BigAutoField(primary_key=True)
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="claims"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    exclusive = models.BooleanField()
    # period (tstzrange) and scope (int8range) columns: migration 0002.

    def __str__(self):
        return f"claim {self.booking_id} on {self.space_id}"


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotency_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.scope}:{self.key}"
