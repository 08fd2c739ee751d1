"""Events and registrations (tickets).

Invariants held by PostgreSQL (see migrations):
- `event_tickets_within_capacity`: 0 <= tickets_sold <= capacity. Sales add to
  `tickets_sold` with one conditional UPDATE (services.registration_create), so
  a sale either fits or changes nothing; lowering the capacity below what is
  sold fails on this CHECK.
- `event_ends_after_start`, `event_capacity_positive`, `event_status_valid`,
  `event_slug_unique_per_org`.
- `event_space_in_venue` (migration 0002): an event's space lies in its venue
  (composite foreign key to venues_space (id, venue_id)).
- `registration_one_active_per_attendee`: at most one active registration per
  attendee and event; a cancelled one does not block a new one.
- `tickets_sold` equals the sum of active registration quantities: both change
  in one transaction; `selectors.oversold_events` verifies it.
- `registration_code_unique`: every registration has its own unguessable ticket
  code (128 random bits, URL-safe); the column has a database default too, so
  rows written outside the ORM get one.
- Waiting lists (migration 0004, `waitlist.py`): `waitlist_one_waiting_per_attendee`
  (at most one waiting entry per person and event), `waitlist_promoted_has_registration`
  (a promoted entry names its registration, and only a promoted one does), a
  sequence that orders the queue.
- Check-ins (`checkin.py`): `checkin_registration_unique`, one check-in per
  registration ever: two gates scanning one code at once get one row.

Lock order (services.py): the event row first, then registration rows.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from venueos.accounts.models import Organization
from venueos.venues.models import Space, Venue

MAX_REGISTRATION_QUANTITY = 10


def new_ticket_code() -> str:
    """128 random bits, URL-safe (22 characters): unguessable, fits a QR code."""
    return secrets.token_urlsafe(16)


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ON_SALE = "on_sale", "On sale"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class RegistrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="events"
    )
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="events")
    space = models.ForeignKey(
        Space,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    # The booking that keeps the event's space free in the calendar.
    hold = models.OneToOneField(
        "bookings.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="event",
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    description = models.TextField(blank=True, default="")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    # Written only by the conditional UPDATEs in services.py, never by save().
    tickets_sold = models.IntegerField(default=0)
    settings = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="event_slug_unique_per_org"
            ),
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="event_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(tickets_sold__gte=0) & Q(tickets_sold__lte=F("capacity")),
                name="event_tickets_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="event_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["venue", "start_at"], name="event_venue_start"),
            models.Index(
                fields=["organization", "start_at"], name="event_organization_start"
            ),
            models.Index(fields=["status", "start_at"], name="event_status_start"),
        ]

    def __str__(self):
        return self.name

    @property
    def available(self) -> int:
        return max(self.capacity - self.tickets_sold, 0)

    @property
    def is_full(self) -> bool:
        return self.available == 0

    @property
    def is_past(self) -> bool:
        return self.end_at <= timezone.now()

    @property
    def is_ongoing(self) -> bool:
        return self.start_at <= timezone.now() < self.end_at

    @property
    def has_started(self) -> bool:
        return self.start_at <= timezone.now()

    @property
    def display_status(self) -> str:
        if self.status == EventStatus.ON_SALE and self.is_full:
            return "sold_out"
        return self.status


class Registration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrations"
    )
    attendee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    quantity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.ACTIVE,
    )
    # The ticket's code (shown as text and as a QR code, scanned at the gates).
    code = models.CharField(max_length=64, default=new_ticket_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "attendee"],
                condition=Q(status="active"),
                name="registration_one_active_per_attendee",
            ),
            models.UniqueConstraint(fields=["code"], name="registration_code_unique"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1)
                & Q(quantity__lte=MAX_REGISTRATION_QUANTITY),
                name="registration_quantity_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (Q(status="active") & Q(cancelled_at__isnull=True)),
                name="registration_cancellation_consistent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["attendee", "created_at"], name="registration_attendee"
            ),
            models.Index(fields=["event", "status"], name="registration_event"),
        ]

    def __str__(self):
        return f"{self.attendee_id} × {self.quantity} for {self.event_id}"

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PROMOTED = "promoted", "Promoted"
    LEFT = "left", "Left"


class WaitlistEntry(models.Model):
    """One person waiting for `quantity` places of a sold-out event.

    Written only by `waitlist.py` (joining, leaving) and `promotion.py`
    (promoting); `seq` comes from a sequence (migration 0004) and orders the
    queue, first come first served."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    attendee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
    )
    quantity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    seq = models.BigIntegerField(unique=True, editable=False)
    registration = models.OneToOneField(
        Registration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="waitlist_entry",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "waiting list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "attendee"],
                condition=Q(status="waiting"),
                name="waitlist_one_waiting_per_attendee",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1)
                & Q(quantity__lte=MAX_REGISTRATION_QUANTITY),
                name="waitlist_quantity_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=WaitlistStatus.values),
                name="waitlist_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="promoted")
                    & Q(registration__isnull=False)
                    & Q(promoted_at__isnull=False)
                )
                | (~Q(status="promoted") & Q(registration__isnull=True)),
                name="waitlist_promoted_has_registration",
            ),
        ]
        indexes = [
            models.Index(
                fields=["event", "seq"],
                condition=Q(status="waiting"),
                name="waitlist_queue",
            ),
            models.Index(fields=["attendee", "created_at"], name="waitlist_attendee"),
        ]

    def __str__(self):
        return f"{self.attendee_id} waiting for {self.quantity} of {self.event_id}"


class CheckIn(models.Model):
    """A registration admitted at the door: at most one row per registration
    (`checkin_registration_unique`), whatever the number of gates scanning."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="check_in"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="check_ins")
    gate = models.ForeignKey(
        "venues.Gate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="check_ins",
    )
    quantity = models.PositiveSmallIntegerField()
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], name="checkin_registration_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "gate"], name="checkin_event_gate"),
        ]

    def __str__(self):
        return f"{self.registration_id} admitted {self.checked_in_at:%Y-%m-%d %H:%M}"
