"""Booking writes: create, move/edit, cancel, confirm, reject, and event holds.

Who may do what (each service decides, before any other check):
- anyone signed in books for themselves; only the venue's managers (and
  admins) book on behalf of someone else, and confirm or reject;
- a booking's owner and the venue's managers change or cancel it (a customer
  only until it ends).

The guarantee against double booking is PostgreSQL's (see models.py): the
exclusion constraints on bookings and on their claims. What this module adds
is speed for the losers and good errors: writes take the locks of
`venueos.common.locking` (the booking row, then the spaces' advisory locks),
and a lost race is a 409 (`conflicts.py` describes it), never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from venueos.accounts.models import User
from venueos.accounts.selectors import user_by_id
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record, differences, snapshot
from venueos.bookings import hooks
from venueos.bookings.conflicts import (
    BookingConflict,
    ConflictContext,
    conflict_problem,
    refuse_known_conflicts,
)
from venueos.bookings.limits import customer_allowance
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.rules import check_booking_rules, check_capacity
from venueos.common.locking import (
    EXCLUSION_VIOLATION,
    lock_rows,
    lock_space_paths,
    lost_race_as,
)
from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_signed_in,
)
from venueos.common.problems import Conflict, InvalidInput, PermissionDenied
from venueos.venues.layout import VenueLayout, venue_layout_read
from venueos.venues.models import Space
from venueos.venues.selectors import may_see_space, space_ancestor_ids

AUDITED_FIELDS = [
    "space_id",
    "start_time",
    "end_time",
    "title",
    "description",
    "attendee_count",
    "external_meeting_url",
    "status",
    "user_id",
]


class InvalidBookingState(Conflict):
    slug, title = "invalid-booking-state", "Invalid booking state"


def _venue_rows(space: Space, layout: VenueLayout | None) -> tuple[list[UUID], dict]:
    """The space's ancestors and what `check_booking_rules` would otherwise
    read (hours, closures), from the venue's cached layout when there is one.
    Its closures cover every time from `closures_since` on, and a booking that
    starts earlier is refused as in the past before closures are looked at."""
    if layout is None:
        return space_ancestor_ids(space.id), {}
    return layout.ancestors(space.id), {
        "opening_hours": layout.opening_hours,
        "closures": layout.closures,
    }


class SpaceToBook(NamedTuple):
    space: Space
    layout: VenueLayout
    data_version: int | None


def space_to_book(space_id: UUID, *, actor: User) -> SpaceToBook:
    """The space an API client names in a booking body, with its venue's
    cached layout and data version (one read for all; the write needs the
    layout anyway, a 409 the version). A space the actor may not see (of an
    archived venue they do not manage) is as unknown as a missing one: 400
    `unknown-space`."""
    layout, data_version = venue_layout_read(space_id=space_id)
    space = layout.spaces.get(space_id) if layout is not None else None
    if space is None or not may_see_space(space, actor):
        raise InvalidInput.field("space_id", "No such space.", slug="unknown-space")
    return SpaceToBook(space, layout, data_version)


def _lock_space_path(space_id: UUID, ancestor_ids: list[UUID]) -> None:
    lock_space_paths([(space_id, ancestor_ids)])


def _write_or_conflict(context: ConflictContext, actor: User, write):
    """Run a durable write; a time already taken, or a lost race, is a 409."""
    refuse_known_conflicts(context, actor)
    with lost_race_as(lambda state: conflict_problem(context, actor, state)):
        return write()


def _require_owner_or_manager(actor: User, booking: Booking, doing: str) -> None:
    require_signed_in(actor)
    if booking.user_id != actor.pk and not manages_organization(
        actor, booking.venue.organization_id
    ):
        raise PermissionDenied(
            f"Only the booking's owner or the venue's managers may {doing} it."
        )


def _resolve_owner(
    *, actor: User, space: Space, owner: User | None, owner_id: UUID | None
) -> User:
    if owner is None and owner_id is None:
        return actor
    if (owner.pk if owner is not None else owner_id) == actor.pk:
        return actor
    if not manages_organization(actor, space.venue.organization_id):
        raise PermissionDenied(
            "Only the venue's managers may book on behalf of someone else."
        )
    if owner is None:
        owner = user_by_id(owner_id)
        if owner is None:
            raise InvalidInput.field("user_id", "No such user.")
    return owner


def booking_create(
    *,
    actor: User,
    space: Space | None = None,
    space_id: UUID | None = None,
    start_time: datetime,
    end_time: datetime,
    title: str,
    description: str = "",
    attendee_count: int = 1,
    external_meeting_url: str = "",
    owner: User | None = None,
    owner_id: UUID | None = None,
) -> Booking:
    """Create a booking (pending if the space needs approval and the actor
    does not manage the venue); 400 for a broken rule, 409 if the time is
    taken or the owner holds the venue's limit of bookings (`limits.py`).

    The booking is the actor's unless `owner` (or `owner_id`, as an API client
    names them) is someone else: then the actor must manage the venue. The
    space is `space`, or the one `space_id` names (400 `unknown-space` if the
    actor may not see it).
    """
    require_signed_in(actor)
    if space is None:
        space, layout, data_version = space_to_book(space_id, actor=actor)
    else:
        layout, data_version = venue_layout_read(space_id=space.id)
    owner = _resolve_owner(actor=actor, space=space, owner=owner, owner_id=owner_id)
    ancestors, venue_rows = _venue_rows(space, layout)
    is_manager = manages_organization(actor, space.venue.organization_id)
    check_booking_rules(
        venue=space.venue,
        space=space,
        space_lineage=[space.id, *ancestors],
        start=start_time,
        end=end_time,
        attendee_count=attendee_count,
        now=timezone.now(),
        **venue_rows,
        reveal_closure_reasons=is_manager,
    )
    needs_approval = space.requires_approval and not is_manager
    booking = Booking(
        venue_id=space.venue_id,
        space=space,
        user=owner,
        created_by=actor,
        start_time=start_time,
        end_time=end_time,
        title=title,
        description=description,
        attendee_count=attendee_count,
        external_meeting_url=external_meeting_url,
        status=BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED,
    )

    @transaction.atomic(durable=True)
    def write() -> Booking:
        allowance = customer_allowance(actor=actor, owner=owner, venue=space.venue)
        if allowance is not None:
            allowance.check(1)
        _lock_space_path(space.id, ancestors)
        booking.save(force_insert=True)
        if owner.pk == actor.pk:
            action = AuditAction.BOOKING_CREATED
        else:
            action = AuditAction.BOOKING_CREATED_ON_BEHALF
        new = snapshot(booking, AUDITED_FIELDS)
        audit_record(action, booking.id, actor=actor, new=new)
        return booking

    context = ConflictContext(
        space,
        start_time,
        end_time,
        attendee_count,
        None,
        tuple(ancestors),
        layout,
        data_version,
    )
    return _write_or_conflict(context, actor, write)


def _lock_booking(booking_id) -> Booking:
    return lock_rows(Booking.objects.select_related("space", "venue", "user")).get(
        pk=booking_id
    )


def booking_update(*, actor: User, booking: Booking, **changes: Any) -> Booking:
    """Edit or move a booking; a move is re-checked like a create (400/409).

    In a space that requires approval, a new time, space or attendee count
    puts the booking back to pending unless a manager of the venue makes it.
    """
    _require_owner_or_manager(actor, booking, "change")
    space: Space = changes.pop("space", None) or booking.space
    start = changes.get("start_time", booking.start_time)
    end = changes.get("end_time", booking.end_time)
    attendee_count = changes.get("attendee_count", booking.attendee_count)
    if not booking.is_active:
        raise InvalidBookingState("A cancelled booking cannot be changed.")
    hooks.booking_changing(booking=booking)
    moved = (
        space.id != booking.space_id
        or start != booking.start_time
        or end != booking.end_time
    )
    if space.venue_id != booking.venue_id:
        raise InvalidInput.field(
            "space_id", "A booking can move only within its venue."
        )
    is_manager = manages_organization(actor, space.venue.organization_id)
    if (
        space.requires_approval
        and (moved or attendee_count != booking.attendee_count)
        and not is_manager
    ):
        # What the venue approved was this time, space and head count: a
        # change of any of them by anyone but its managers needs approval
        # again, like a new booking (else approve 1 h for 2, then PATCH to
        # 8 h for 300). Title and description changes keep the status.
        changes["status"] = BookingStatus.PENDING
    layout, data_version = venue_layout_read(space_id=space.id)
    ancestors, venue_rows = _venue_rows(space, layout)
    if moved:
        check_booking_rules(
            venue=space.venue,
            space=space,
            space_lineage=[space.id, *ancestors],
            start=start,
            end=end,
            attendee_count=attendee_count,
            now=timezone.now(),
            **venue_rows,
            reveal_closure_reasons=is_manager,
        )
    else:
        check_capacity(space, attendee_count)

    @transaction.atomic(durable=True)
    def write() -> Booking:
        current = _lock_booking(booking.pk)
        if not current.is_active:
            raise InvalidBookingState("A cancelled booking cannot be changed.")
        if moved:
            _lock_space_path(space.id, ancestors)
        before = snapshot(current, AUDITED_FIELDS)
        current.space = space
        for field, value in changes.items():
            setattr(current, field, value)
        current.save()
        old, new = differences(before, snapshot(current, AUDITED_FIELDS))
        if new:
            audit_record(
                AuditAction.BOOKING_UPDATED, current.id, actor=actor, old=old, new=new
            )
        return current

    context = ConflictContext(
        space,
        start,
        end,
        attendee_count,
        booking.id,
        tuple(ancestors),
        layout,
        data_version,
    )
    return _write_or_conflict(context, actor, write)


def _mark_cancelled(booking: Booking, *, actor: User, reason: str) -> None:
    """Cancelled keeps the row; the claims trigger frees the time on this save."""
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor
    booking.cancellation_reason = reason
    booking.save()


# Status changes wait only on the booking's row; a timed-out wait is a 409.
_busy_booking = lost_race_as(
    lambda state: InvalidBookingState(
        "Someone else is changing this booking right now; try again."
    )
)


@_busy_booking
@transaction.atomic(durable=True)
def booking_cancel(*, actor: User, booking: Booking, reason: str = "") -> Booking:
    """Cancel: the row stays (status cancelled) and the claims go at once."""
    _require_owner_or_manager(actor, booking, "cancel")
    current = _lock_booking(booking.pk)
    if not current.is_active:
        raise InvalidBookingState("This booking is already cancelled.")
    hooks.booking_changing(booking=current)
    is_manager = manages_organization(actor, current.venue.organization_id)
    if not is_manager and current.end_time <= timezone.now():
        raise InvalidBookingState("A booking that has ended cannot be cancelled.")
    old_status = current.status
    _mark_cancelled(current, actor=actor, reason=reason)
    if current.user_id == actor.pk:
        action = AuditAction.BOOKING_CANCELLED
    else:
        action = AuditAction.BOOKING_ADMIN_CANCELLED
    audit_record(
        action,
        current.id,
        actor=actor,
        old={"status": old_status},
        new={"status": current.status, "reason": reason},
    )
    return current


@_busy_booking
@transaction.atomic(durable=True)
def booking_decide(
    *, actor: User, booking: Booking, approve: bool, reason: str = ""
) -> Booking:
    """Confirm or reject a pending booking: the venue's managers only."""
    require_signed_in(actor)
    if not manages_organization(actor, booking.venue.organization_id):
        raise PermissionDenied(
            "Only the venue's managers may confirm or reject bookings."
        )
    current = _lock_booking(booking.pk)
    if current.status != BookingStatus.PENDING:
        raise InvalidBookingState(
            f"Only pending bookings can be decided; this one is {current.status}."
        )
    if approve:
        current.status = BookingStatus.CONFIRMED
        action = AuditAction.BOOKING_CONFIRMED
        current.save()
    else:
        _mark_cancelled(current, actor=actor, reason=reason)
        action = AuditAction.BOOKING_REJECTED
    audit_record(
        action,
        current.id,
        actor=actor,
        old={"status": BookingStatus.PENDING},
        new={"status": current.status, "reason": reason},
    )
    return current


# Event holds: an event with a space occupies it through the same constraint and
# locks. They run inside the caller's (the event service's) transaction, and
# skip the customer-facing rules (grid, opening hours, duration policy): the
# organizer arranges the event with the venue. The database limits still apply.


def _hold_write(write, *, actor: User, context: ConflictContext):
    """A savepoint, so the event service's transaction survives a lost race."""

    def problem(state: str) -> BookingConflict:
        if state != EXCLUSION_VIOLATION:
            return BookingConflict("The space is busy right now; try again.")
        return conflict_problem(context, actor, state)

    with lost_race_as(problem), transaction.atomic():
        return write()


def booking_hold_create(
    *, space: Space, start_time: datetime, end_time: datetime, title: str, actor: User
) -> Booking:
    require_manager_of(actor, space.venue.organization_id)
    ancestors = space_ancestor_ids(space.id)

    def write() -> Booking:
        _lock_space_path(space.id, ancestors)
        booking = Booking.objects.create(
            venue_id=space.venue_id,
            space=space,
            user=actor,
            created_by=actor,
            start_time=start_time,
            end_time=end_time,
            title=title,
            attendee_count=1,
            status=BookingStatus.CONFIRMED,
        )
        audit_record(
            AuditAction.BOOKING_EVENT_HOLD_CREATED,
            booking.id,
            actor=actor,
            new=snapshot(booking, AUDITED_FIELDS),
        )
        return booking

    context = ConflictContext(space, start_time, end_time, 1, None)
    return _hold_write(write, actor=actor, context=context)


def booking_hold_move(
    *,
    booking: Booking,
    space: Space,
    start_time: datetime,
    end_time: datetime,
    actor: User,
) -> Booking:
    require_manager_of(actor, space.venue.organization_id)
    ancestors = space_ancestor_ids(space.id)

    def write() -> Booking:
        current = _lock_booking(booking.pk)
        _lock_space_path(space.id, ancestors)
        old = snapshot(current, AUDITED_FIELDS)
        current.space, current.start_time, current.end_time = (
            space,
            start_time,
            end_time,
        )
        current.save()
        audit_record(
            AuditAction.BOOKING_EVENT_HOLD_MOVED,
            current.id,
            actor=actor,
            old=old,
            new=snapshot(current, AUDITED_FIELDS),
        )
        return current

    context = ConflictContext(space, start_time, end_time, 1, booking.id)
    return _hold_write(write, actor=actor, context=context)


def booking_hold_release(*, booking: Booking, actor: User) -> None:
    current = _lock_booking(booking.pk)
    require_manager_of(actor, current.venue.organization_id)
    if not current.is_active:
        return
    _mark_cancelled(current, actor=actor, reason="event closed")
    audit_record(
        AuditAction.BOOKING_EVENT_HOLD_RELEASED,
        current.id,
        actor=actor,
        old={"status": BookingStatus.CONFIRMED},
        new={"status": current.status},
    )
