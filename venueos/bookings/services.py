"""Booking writes: create, move/edit, cancel, confirm, reject, and event holds.

The guarantee is PostgreSQL's (see models.py): the exclusion constraints on
bookings and on their claims. What this module adds is speed for the losers
and good errors:

Lock order: inside one transaction, first the booking row (`FOR UPDATE`, on
changes), then transaction-level advisory locks on the target space (exclusive)
and its ancestors (shared), taken in ascending key order in one statement.
Every writer that could conflict shares at least one of those locks in a
conflicting mode, so conflicting writers queue on the lock instead of meeting
each other's uncommitted claim rows inside the constraint (which costs a
deadlock-detector round of 1 s). Waits are bounded by `lock_timeout`; a
timeout, a deadlock or a constraint violation is a 409, never a 500.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from venueos.accounts.models import User
from venueos.audit.services import audit_record
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.rules import check_booking_rules, check_capacity
from venueos.common.db import (
    EXCLUSION_VIOLATION,
    LOSING_SQLSTATES,
    bound_lock_waits,
    lock_timeout,
    sqlstate,
)
from venueos.common.permissions import manages_organization
from venueos.common.problems import Conflict, InvalidInput, PermissionDenied
from venueos.venues.models import Space
from venueos.venues.selectors import space_ancestor_ids

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


class BookingConflict(Conflict):
    slug, title = "booking-conflict", "Booking Conflict"


class EventHoldLocked(Conflict):
    slug, title = "event-hold", "Booking belongs to an event"


def _refuse_event_hold(booking: Booking) -> None:
    """An event's hold moves and ends with its event, never on its own: a hold
    cancelled or moved here would free the hall under a sold-out concert."""
    from venueos.events.models import Event

    event = Event.objects.filter(hold_id=booking.pk).only("id", "name").first()
    if event is not None:
        raise EventHoldLocked(
            f"This booking holds the space for the event '{event.name}'; change "
            "or close the event instead.",
            event_id=str(event.id),
        )


class InvalidBookingState(Conflict):
    slug, title = "invalid-booking-state", "Invalid booking state"


@dataclass(frozen=True)
class ConflictContext:
    """What the 409 body needs to describe the collision."""

    space: Space
    start: datetime
    end: datetime
    attendee_count: int
    exclude_booking_id: uuid.UUID | None


def advisory_key(space_id: uuid.UUID) -> int:
    """A stable signed 64-bit advisory-lock key for a space."""
    return int.from_bytes(space_id.bytes[:8], "big", signed=True)


_LOCKS_PER_STATEMENT = 1000


def _lock_space_path(space_id: uuid.UUID, ancestor_ids: list[uuid.UUID]) -> None:
    _lock_space_paths([(space_id, ancestor_ids)])


def _lock_space_paths(paths: list[tuple[uuid.UUID, list[uuid.UUID]]]) -> None:
    """The locks of `_lock_space_path` for several booked spaces at once (a bulk
    import's batch): exclusive on each booked space, shared on their ancestors
    (exclusive wins where one space is both), all in ascending key order."""
    # One round trip: the timeout is set before the locks in the same statement.
    wanted: dict[int, str] = {}
    for _space_id, ancestor_ids in paths:
        for a in ancestor_ids:
            wanted.setdefault(advisory_key(a), "pg_advisory_xact_lock_shared")
    for space_id, _ancestor_ids in paths:
        wanted[advisory_key(space_id)] = "pg_advisory_xact_lock"
    keys = sorted(wanted)
    # A select list holds at most 1664 entries: large batches take their locks
    # in several statements, still in ascending key order overall.
    with connection.cursor() as cursor:
        for at in range(0, len(keys), _LOCKS_PER_STATEMENT):
            chunk = keys[at : at + _LOCKS_PER_STATEMENT]
            calls = ", ".join(f"{wanted[key]}(%s)" for key in chunk)
            cursor.execute(
                f"SELECT set_config('lock_timeout', %s, true), {calls}",
                [lock_timeout(), *chunk],
            )


def _snapshot(booking: Booking) -> dict[str, Any]:
    return {field: getattr(booking, field) for field in AUDITED_FIELDS}


def _current_conflicts(context: ConflictContext) -> list:
    from venueos.bookings.selectors import booking_conflicts_for

    return booking_conflicts_for(
        space_id=context.space.id,
        start=context.start,
        end=context.end,
        exclude_booking_id=context.exclude_booking_id,
    )


def _conflict_problem(
    context: ConflictContext,
    actor: User,
    state: str | None,
    conflicts: list | None = None,
) -> BookingConflict:
    from venueos.bookings.selectors import conflict_body

    if conflicts is None:
        conflicts = _current_conflicts(context)
    if state == EXCLUSION_VIOLATION or conflicts:
        detail = (
            f"'{context.space.name}' (or a space containing it or inside it) is already "
            "booked for part of that time."
        )
    else:
        detail = "The space is busy with another booking right now; try again."
    return BookingConflict(
        detail, **conflict_body(context=context, conflicts=conflicts, actor=actor)
    )


def _run_losing_as_conflict(context: ConflictContext, actor: User, write):
    """Run a write; a lost race (constraint, deadlock, lock timeout) becomes a 409.

    A time already taken by a committed booking is answered from one read,
    without queueing for the space's locks or inserting and rolling back: that
    is most losers, once the winner of a rush has committed. The read is only a
    shortcut; the constraint still decides every write that goes ahead.
    """
    conflicts = _current_conflicts(context)
    if conflicts:
        raise _conflict_problem(context, actor, EXCLUSION_VIOLATION, conflicts)
    try:
        return write()
    except DatabaseError as exc:
        state = sqlstate(exc)
        if state not in LOSING_SQLSTATES:
            raise
    # Outside the failed transaction now: read the winner for the 409 body.
    raise _conflict_problem(context, actor, state)


def _resolve_owner(*, actor: User, space: Space, owner: User | None) -> User:
    if owner is None or owner.pk == actor.pk:
        return actor
    if not manages_organization(actor, space.venue.organization_id):
        raise PermissionDenied(
            "Only the venue's managers may book on behalf of someone else."
        )
    return owner


def booking_create(
    *,
    actor: User,
    space: Space,
    start_time: datetime,
    end_time: datetime,
    title: str,
    description: str = "",
    attendee_count: int = 1,
    external_meeting_url: str = "",
    owner: User | None = None,
) -> Booking:
    """Create a booking (pending if the space needs approval and the actor
    does not manage the venue); 400 for a broken rule, 409 if the time is taken."""
    owner = _resolve_owner(actor=actor, space=space, owner=owner)
    ancestors = space_ancestor_ids(space.id)
    check_booking_rules(
        venue=space.venue,
        space=space,
        space_lineage=[space.id, *ancestors],
        start=start_time,
        end=end_time,
        attendee_count=attendee_count,
        now=timezone.now(),
    )
    needs_approval = space.requires_approval and not manages_organization(
        actor, space.venue.organization_id
    )
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
        _lock_space_path(space.id, ancestors)
        booking.save(force_insert=True)
        action = (
            "booking.created" if owner.pk == actor.pk else "booking.created_on_behalf"
        )
        audit_record(
            entity_type="booking",
            entity_id=booking.id,
            action=action,
            actor=actor,
            new=_snapshot(booking),
        )
        return booking

    context = ConflictContext(space, start_time, end_time, attendee_count, None)
    return _run_losing_as_conflict(context, actor, write)


def _lock_booking(booking_id) -> Booking:
    bound_lock_waits()
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("space", "venue", "user")
        .get(pk=booking_id)
    )


def booking_update(*, actor: User, booking: Booking, **changes: Any) -> Booking:
    """Edit or move a booking; a move is re-checked like a create (400/409)."""
    space: Space = changes.pop("space", None) or booking.space
    start = changes.get("start_time", booking.start_time)
    end = changes.get("end_time", booking.end_time)
    attendee_count = changes.get("attendee_count", booking.attendee_count)
    if not booking.is_active:
        raise InvalidBookingState("A cancelled booking cannot be changed.")
    _refuse_event_hold(booking)
    moved = (
        space.id != booking.space_id
        or start != booking.start_time
        or end != booking.end_time
    )
    if space.venue_id != booking.venue_id:
        raise InvalidInput.field(
            "space_id", "A booking can move only within its venue."
        )
    if (
        space.id != booking.space_id
        and space.requires_approval
        and not manages_organization(actor, space.venue.organization_id)
    ):
        # Moving into a space that needs approval needs it like a new booking.
        changes["status"] = BookingStatus.PENDING
    ancestors = space_ancestor_ids(space.id)
    if moved:
        check_booking_rules(
            venue=space.venue,
            space=space,
            space_lineage=[space.id, *ancestors],
            start=start,
            end=end,
            attendee_count=attendee_count,
            now=timezone.now(),
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
        old = _snapshot(current)
        current.space = space
        for field, value in changes.items():
            setattr(current, field, value)
        current.save()
        new = _snapshot(current)
        diff_old = {k: v for k, v in old.items() if new[k] != v}
        diff_new = {k: new[k] for k in diff_old}
        if diff_new:
            audit_record(
                entity_type="booking",
                entity_id=current.id,
                action="booking.updated",
                actor=actor,
                old=diff_old,
                new=diff_new,
            )
        return current

    context = ConflictContext(space, start, end, attendee_count, booking.id)
    return _run_losing_as_conflict(context, actor, write)


def _mark_cancelled(booking: Booking, *, actor: User, reason: str) -> None:
    """Cancelled keeps the row; the claims trigger frees the time on this save."""
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = actor
    booking.cancellation_reason = reason
    booking.save()


def _busy_as_conflict(service):
    """Status changes only wait on the booking's row; a timed-out wait is a 409."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except DatabaseError as exc:
            if sqlstate(exc) not in LOSING_SQLSTATES:
                raise
            raise InvalidBookingState(
                "Someone else is changing this booking right now; try again."
            ) from exc

    return wrapper


@_busy_as_conflict
@transaction.atomic(durable=True)
def booking_cancel(*, actor: User, booking: Booking, reason: str = "") -> Booking:
    """Cancel: the row stays (status cancelled) and the claims go at once."""
    current = _lock_booking(booking.pk)
    if not current.is_active:
        raise InvalidBookingState("This booking is already cancelled.")
    _refuse_event_hold(current)
    is_manager = manages_organization(actor, current.venue.organization_id)
    if not is_manager and current.end_time <= timezone.now():
        raise InvalidBookingState("A booking that has ended cannot be cancelled.")
    old_status = current.status
    _mark_cancelled(current, actor=actor, reason=reason)
    action = (
        "booking.cancelled"
        if current.user_id == actor.pk
        else "booking.admin_cancelled"
    )
    audit_record(
        entity_type="booking",
        entity_id=current.id,
        action=action,
        actor=actor,
        old={"status": old_status},
        new={"status": current.status, "reason": reason},
    )
    return current


@_busy_as_conflict
@transaction.atomic(durable=True)
def booking_decide(
    *, actor: User, booking: Booking, approve: bool, reason: str = ""
) -> Booking:
    """Confirm or reject a pending booking (managers only; checked by the caller)."""
    current = _lock_booking(booking.pk)
    if current.status != BookingStatus.PENDING:
        raise InvalidBookingState(
            f"Only pending bookings can be decided; this one is {current.status}."
        )
    if approve:
        current.status = BookingStatus.CONFIRMED
        action = "booking.confirmed"
        current.save()
    else:
        _mark_cancelled(current, actor=actor, reason=reason)
        action = "booking.rejected"
    audit_record(
        entity_type="booking",
        entity_id=current.id,
        action=action,
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
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            return write()
    except DatabaseError as exc:
        state = sqlstate(exc)
        if state not in LOSING_SQLSTATES:
            raise
        if state != EXCLUSION_VIOLATION:
            raise BookingConflict("The space is busy right now; try again.") from exc
    raise _conflict_problem(context, actor, EXCLUSION_VIOLATION)


def booking_hold_create(
    *, space: Space, start_time: datetime, end_time: datetime, title: str, actor: User
) -> Booking:
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
            entity_type="booking",
            entity_id=booking.id,
            action="booking.event_hold_created",
            actor=actor,
            new=_snapshot(booking),
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
    ancestors = space_ancestor_ids(space.id)

    def write() -> Booking:
        current = _lock_booking(booking.pk)
        _lock_space_path(space.id, ancestors)
        old = _snapshot(current)
        current.space, current.start_time, current.end_time = (
            space,
            start_time,
            end_time,
        )
        current.save()
        audit_record(
            entity_type="booking",
            entity_id=current.id,
            action="booking.event_hold_moved",
            actor=actor,
            old=old,
            new=_snapshot(current),
        )
        return current

    context = ConflictContext(space, start_time, end_time, 1, booking.id)
    return _hold_write(write, actor=actor, context=context)


def booking_hold_release(*, booking: Booking, actor: User) -> None:
    current = _lock_booking(booking.pk)
    if not current.is_active:
        return
    _mark_cancelled(current, actor=actor, reason="event closed")
    audit_record(
        entity_type="booking",
        entity_id=current.id,
        action="booking.event_hold_released",
        actor=actor,
        old={"status": BookingStatus.CONFIRMED},
        new={"status": current.status},
    )
