"""Venue, space, opening-hours and closure writes.

Every write is audited in its own transaction. Tree changes in one venue are
serialized by the cycle-check trigger's advisory lock (migration 0002), so two
concurrent moves cannot build a cycle between them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from venueos.accounts.models import Organization, User
from venueos.accounts.selectors import organization_find
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record, changed_fields, snapshot
from venueos.common.permissions import require_manager_of, require_signed_in
from venueos.common.problems import Conflict, InvalidInput, PermissionDenied, SlugTaken
from venueos.common.timeutils import valid_timezone
from venueos.venues import hooks
from venueos.venues.addresses import clean_address
from venueos.venues.models import (
    MAX_BOOKING_MINUTES,
    MAX_BUFFER_MINUTES,
    MAX_CUSTOMER_BOOKING_LIMIT,
    MAX_FUTURE_CLOSURES,
    MAX_OPENING_HOURS_ROWS,
    Closure,
    OpeningHours,
    Space,
    Venue,
)
from venueos.venues.selectors import space_ancestor_ids, space_find

VENUE_FIELDS = [
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
]
# Fields where an explicit null means something (no limit), not "the default".
NULLABLE_VENUE_FIELDS = {"max_active_bookings_per_customer"}
SPACE_FIELDS = [
    "name",
    "capacity",
    "is_bookable",
    "requires_approval",
    "features",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "parent_id",
]


def _validate_policy(values: dict[str, Any]) -> None:
    """Readable errors for what the CHECK constraints also enforce."""
    if "timezone" in values and not valid_timezone(values["timezone"]):
        raise InvalidInput.field(
            "timezone",
            f"'{values['timezone']}' is not an IANA time zone name (e.g. Europe/Berlin).",
            slug="invalid-timezone",
        )
    slot = values["slot_minutes"]
    if (24 * 60) % slot:
        raise InvalidInput.field(
            "slot_minutes", "The slot size must divide a day (e.g. 5, 15, 30, 60)."
        )
    for field in ("min_duration_minutes", "max_duration_minutes"):
        if values[field] % slot:
            raise InvalidInput.field(
                field, f"Must be a multiple of the slot size ({slot} min)."
            )
    if values["min_duration_minutes"] > values["max_duration_minutes"]:
        raise InvalidInput.field(
            "min_duration_minutes", "Must not exceed max_duration_minutes."
        )
    if values["max_duration_minutes"] > MAX_BOOKING_MINUTES:
        raise InvalidInput.field(
            "max_duration_minutes", "A booking lasts at most 24 hours (1440)."
        )
    limit = values.get("max_active_bookings_per_customer")
    if limit is not None and (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= MAX_CUSTOMER_BOOKING_LIMIT
    ):
        raise InvalidInput.field(
            "max_active_bookings_per_customer",
            "Active bookings still to come per customer: a whole number from 1 "
            f"to {MAX_CUSTOMER_BOOKING_LIMIT:,}, or null for no limit.",
        )
    _validate_settings(values.get("settings") or {})


def _validate_settings(settings: dict[str, Any]) -> None:
    """The settings VenueOS itself reads; other keys are kept as sent."""
    doors = settings.get("door_open_minutes")
    if doors is not None and (
        isinstance(doors, bool) or not isinstance(doors, int) or not 0 <= doors <= 1440
    ):
        raise InvalidInput.field(
            "settings.door_open_minutes",
            "Minutes before an event's start when check-in opens: a whole "
            "number from 0 to 1440.",
        )


def _slug_taken(slug: str) -> SlugTaken:
    return SlugTaken(f"Slug '{slug}' is already used in this organization.")


def _organization_for_new_venue(
    actor: User, organization: Organization | None, organization_id: UUID | None
) -> Organization:
    """Managers create venues in their own organization, admins in any."""
    require_signed_in(actor)
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied("Only managers and administrators may create venues.")
    if organization is not None:
        organization_id = organization.id
    if organization_id is None:
        if actor.organization_id is None:
            raise InvalidInput.field(
                "organization_id", "Say which organization the venue belongs to."
            )
        organization_id = actor.organization_id
    require_manager_of(actor, organization_id)
    if organization is None:
        organization = organization_find(organization_id)
        if organization is None:
            raise InvalidInput.field("organization_id", "No such organization.")
    return organization


@transaction.atomic
def venue_create(
    *,
    actor: User,
    organization: Organization | None = None,
    organization_id: UUID | None = None,
    **values: Any,
) -> Venue:
    """A venue of `organization` (or `organization_id`; neither: the actor's own)."""
    organization = _organization_for_new_venue(actor, organization, organization_id)
    if "address" in values:
        values["address"] = clean_address(values["address"])
    values["slug"] = values.get("slug") or slugify(values["name"])[:100] or "venue"
    if values.get("slot_minutes") is None:
        values["slot_minutes"] = 15
    if values.get("min_duration_minutes") is None:
        values["min_duration_minutes"] = values["slot_minutes"]
    if values.get("max_duration_minutes") is None:
        values["max_duration_minutes"] = 480
    _validate_policy(values)
    venue = Venue(
        organization=organization,
        **{
            k: v
            for k, v in values.items()
            if v is not None or k in NULLABLE_VENUE_FIELDS
        },
    )
    if Venue.objects.filter(organization=organization, slug=venue.slug).exists():
        raise _slug_taken(venue.slug)
    try:
        with transaction.atomic():
            venue.save()
    except IntegrityError as exc:
        raise _slug_taken(venue.slug) from exc
    audit_record(
        AuditAction.VENUE_CREATED,
        venue.id,
        actor=actor,
        new=snapshot(venue, VENUE_FIELDS),
    )
    return venue


@transaction.atomic
def venue_update(*, venue: Venue, actor: User, **updates: Any) -> Venue:
    require_manager_of(actor, venue.organization_id)
    if "address" in updates:
        updates["address"] = clean_address(updates["address"])
    venue = Venue.objects.select_for_update().get(pk=venue.pk)
    merged = snapshot(venue, VENUE_FIELDS) | updates
    _validate_policy(merged)
    old, new = changed_fields(venue, VENUE_FIELDS, updates)
    if not new:
        return venue
    if "max_capacity" in new:
        hooks.venue_capacity_lowering(venue=venue, max_capacity=new["max_capacity"])
    if (
        "slug" in new
        and Venue.objects.filter(
            organization_id=venue.organization_id, slug=new["slug"]
        )
        .exclude(pk=venue.pk)
        .exists()
    ):
        raise _slug_taken(new["slug"])
    for field, value in new.items():
        setattr(venue, field, value)
    try:
        with transaction.atomic():
            venue.save()
    except IntegrityError as exc:
        raise _slug_taken(venue.slug) from exc
    audit_record(AuditAction.VENUE_UPDATED, venue.id, actor=actor, old=old, new=new)
    return venue


@transaction.atomic
def venue_archive(*, venue: Venue, actor: User) -> Venue:
    """Venues are archived, never deleted: bookings and events keep their history."""
    require_manager_of(actor, venue.organization_id)
    if venue.archived_at is None:
        venue.archived_at = timezone.now()
        venue.save(update_fields=["archived_at", "updated_at"])
        audit_record(AuditAction.VENUE_ARCHIVED, venue.id, actor=actor)
    return venue


def _parent_by_id(space_id, *, venue: Venue) -> Space:
    """A parent named by id lies in the venue: another venue's space is as
    unknown as a missing one (an id must not tell of venues one cannot see)."""
    space = space_find(space_id, venue_id=venue.id)
    if space is None:
        raise InvalidInput.field(
            "parent_id", "No such space in this venue.", slug="invalid-parent"
        )
    return space


def _check_parent(*, venue: Venue, parent: Space | None, space: Space | None) -> None:
    if parent is None:
        return
    if parent.venue_id != venue.id:
        raise InvalidInput.field(
            "parent_id",
            "The parent space belongs to another venue.",
            slug="invalid-parent",
        )
    if space is not None and (
        parent.id == space.id or space.id in space_ancestor_ids(parent.id)
    ):
        raise InvalidInput.field(
            "parent_id",
            "A space cannot be moved under itself or one of its descendants.",
            slug="space-cycle",
        )


def _clean_features(features: list[str] | None) -> list[str]:
    return sorted(
        {feature.strip().lower() for feature in features or [] if feature.strip()}
    )


def _check_buffers(values: dict[str, Any]) -> None:
    """Readable errors for what the space_buffers_range CHECK also enforces."""
    for field in ("buffer_before_minutes", "buffer_after_minutes"):
        value = values.get(field)
        if value is not None and not 0 <= value <= MAX_BUFFER_MINUTES:
            raise InvalidInput.field(
                field, f"Between 0 and {MAX_BUFFER_MINUTES} minutes, please."
            )


def _translate_tree_error(exc: Exception) -> InvalidInput:
    message = str(exc)
    if "space_cycle" in message:
        return InvalidInput.field(
            "parent_id",
            "That move would create a cycle in the space tree.",
            slug="space-cycle",
        )
    return InvalidInput.field(
        "parent_id",
        "The parent space must be in the same venue.",
        slug="invalid-parent",
    )


@transaction.atomic
def space_create(
    *,
    venue: Venue,
    actor: User,
    name: str,
    capacity: int,
    parent: Space | None = None,
    parent_id: UUID | None = None,
    is_bookable: bool = True,
    requires_approval: bool = False,
    features: list[str] | None = None,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
) -> Space:
    """A space of the venue, under `parent` (or `parent_id`), by its managers."""
    require_manager_of(actor, venue.organization_id)
    if parent is None and parent_id is not None:
        parent = _parent_by_id(parent_id, venue=venue)
    _check_parent(venue=venue, parent=parent, space=None)
    _check_buffers(
        {
            "buffer_before_minutes": buffer_before_minutes,
            "buffer_after_minutes": buffer_after_minutes,
        }
    )
    space = Space(
        venue=venue,
        parent=parent,
        name=name,
        capacity=capacity,
        is_bookable=is_bookable,
        requires_approval=requires_approval,
        features=_clean_features(features),
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
    )
    try:
        with transaction.atomic():
            space.save()
    except IntegrityError as exc:
        raise _translate_tree_error(exc) from exc
    audit_record(
        AuditAction.SPACE_CREATED,
        space.id,
        actor=actor,
        new=snapshot(space, SPACE_FIELDS),
    )
    return space


_MISSING = object()


@transaction.atomic
def space_update(
    *,
    space: Space,
    actor: User,
    parent: Any = _MISSING,
    parent_id: Any = _MISSING,
    **updates: Any,
) -> Space:
    """Rename, resize or move a space (`parent`, or `parent_id`; None: to the
    top), or change its buffers, by the venue's managers. New buffers apply to
    bookings made or moved from now on; bookings already made keep the buffers
    they were made with, and none is re-checked or refused because of them."""
    require_manager_of(actor, space.venue.organization_id)
    if parent is _MISSING and parent_id is not _MISSING:
        parent = (
            _parent_by_id(parent_id, venue=space.venue)
            if parent_id is not None
            else None
        )
    space = Space.objects.select_for_update().select_related("venue").get(pk=space.pk)
    if parent is not _MISSING:
        _check_parent(venue=space.venue, parent=parent, space=space)
        updates["parent_id"] = parent.id if parent else None
    if "features" in updates:
        updates["features"] = _clean_features(updates["features"])
    _check_buffers(updates)
    old, new = changed_fields(space, SPACE_FIELDS, updates)
    if not new:
        return space
    if "parent_id" in new:
        hooks.space_moving(space=space)
    for field, value in new.items():
        setattr(space, field, value)
    try:
        with transaction.atomic():
            space.save()
    except IntegrityError as exc:
        raise _translate_tree_error(exc) from exc
    audit_record(AuditAction.SPACE_UPDATED, space.id, actor=actor, old=old, new=new)
    return space


@transaction.atomic
def space_delete(*, space: Space, actor: User) -> None:
    require_manager_of(actor, space.venue.organization_id)
    if space.children.exists():
        raise Conflict(
            "Delete or move the spaces inside this one first.",
            slug="space-has-children",
            title="Space has children",
        )
    space_id, old = space.id, snapshot(space, SPACE_FIELDS)
    try:
        space.delete()
    except ProtectedError as exc:
        # Bookings and events keep their space (on_delete=PROTECT); the
        # collector refuses before deleting anything.
        raise Conflict(
            "This space has bookings; mark it not bookable instead of deleting it.",
            slug="space-has-bookings",
            title="Space has bookings",
        ) from exc
    audit_record(AuditAction.SPACE_DELETED, space_id, actor=actor, old=old)


@transaction.atomic
def opening_hours_replace(
    *, venue: Venue, actor: User, intervals: list[tuple[int, int, int]]
) -> list[OpeningHours]:
    """Replace the weekly rules: (weekday, opens_minute, closes_minute) tuples."""
    require_manager_of(actor, venue.organization_id)
    if len(intervals) > MAX_OPENING_HOURS_ROWS:
        raise InvalidInput.field(
            "opening_hours",
            f"A week has at most {MAX_OPENING_HOURS_ROWS} opening intervals; "
            f"{len(intervals)} were sent. Merge intervals that touch, or leave "
            "the short gaps open and close them with closures.",
            slug="too-many-opening-hours",
        )
    by_day: dict[int, list[tuple[int, int]]] = {}
    for index, (weekday, opens, closes) in enumerate(intervals):
        if opens >= closes:
            raise InvalidInput.field(
                f"[{index}].closes",
                "Closing time must be after opening time.",
                slug="invalid-opening-hours",
            )
        by_day.setdefault(weekday, []).append((opens, closes))
    for weekday, day_intervals in by_day.items():
        day_intervals.sort()
        for (_, first_close), (second_open, _) in zip(
            day_intervals, day_intervals[1:], strict=False
        ):
            if second_open < first_close:
                raise InvalidInput.field(
                    "opening_hours",
                    f"Intervals on weekday {weekday} overlap.",
                    slug="invalid-opening-hours",
                )
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    old = list(
        venue.opening_hours.values_list("weekday", "opens_minute", "closes_minute")
    )
    venue.opening_hours.all().delete()
    rows = OpeningHours.objects.bulk_create(
        OpeningHours(venue=venue, weekday=w, opens_minute=o, closes_minute=c)
        for w, o, c in sorted(intervals)
    )
    audit_record(
        AuditAction.VENUE_OPENING_HOURS_CHANGED,
        venue.id,
        actor=actor,
        old={"opening_hours": old},
        new={"opening_hours": sorted(intervals)},
    )
    return rows


@transaction.atomic
def closure_create(
    *,
    venue: Venue,
    actor: User,
    start_time: datetime,
    end_time: datetime,
    reason: str = "",
    reason_public: bool = False,
    space: Space | None = None,
    space_id: UUID | None = None,
) -> Closure:
    """Close the venue (or `space`, given or by `space_id`, and what is inside
    it) for a while, by its managers. The reason is told to customers only
    when `reason_public`."""
    require_manager_of(actor, venue.organization_id)
    if space is None and space_id is not None:
        space = space_find(space_id, venue_id=venue.id)
        if space is None:
            raise InvalidInput.field("space_id", "No such space in this venue.")
    if end_time <= start_time:
        raise InvalidInput.field(
            "end_time", "end_time must be after start_time.", slug="invalid-time-range"
        )
    if space is not None and space.venue_id != venue.id:
        raise InvalidInput.field("space_id", "That space belongs to another venue.")
    # The venue's row lock serializes concurrent creates, so the count holds.
    Venue.objects.select_for_update().filter(pk=venue.pk).first()
    upcoming = Closure.objects.filter(venue_id=venue.id, end_time__gt=timezone.now())
    if end_time > timezone.now() and upcoming.count() >= MAX_FUTURE_CLOSURES:
        raise InvalidInput.field(
            "start_time",
            f"A venue has at most {MAX_FUTURE_CLOSURES} closures still to come. "
            "Remove some, or merge neighbouring ones into one longer closure.",
            slug="too-many-closures",
        )
    closure = Closure.objects.create(
        venue=venue,
        space=space,
        start_time=start_time,
        end_time=end_time,
        reason=reason,
        reason_public=reason_public,
    )
    audit_record(
        AuditAction.VENUE_CLOSURE_CREATED,
        venue.id,
        actor=actor,
        new={
            "closure_id": closure.id,
            "start_time": start_time,
            "end_time": end_time,
            "space_id": space.id if space else None,
            "reason": reason,
            "reason_public": reason_public,
        },
    )
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, actor: User) -> None:
    require_manager_of(actor, closure.venue.organization_id)
    audit_record(
        AuditAction.VENUE_CLOSURE_DELETED,
        closure.venue_id,
        actor=actor,
        old={
            "closure_id": closure.id,
            "start_time": closure.start_time,
            "end_time": closure.end_time,
        },
    )
    closure.delete()
