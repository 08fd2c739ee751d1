"""Event lifecycle and registration writes.

No overselling: a sale is ONE conditional statement,
`UPDATE events_event SET tickets_sold = tickets_sold + n WHERE id = … AND
status = 'on_sale' AND tickets_sold + n <= capacity RETURNING tickets_sold`,
backed by the CHECK `tickets_sold <= capacity` (the database function
`events_take_places` runs it and raises when it takes nothing); the
registration row and the audit entry are written in the same transaction, so a
failure anywhere (for instance the partial unique index on active
registrations) rolls the sale back.
Concurrent buyers queue on the event row only for the length of one short
transaction; once the event is full, losers are refused without waiting.

Lock order: the event row, then registration rows (cancellation locks the event
first on purpose, so a cancel racing a re-registration of the same attendee
cannot deadlock), then waiting-list entries: places freed by a cancellation, a
capacity raise or a return to sale go to the waiting list in the same
transaction (`promotion.py` documents the full order). Every transaction sets `lock_timeout`
(settings.VENUEOS_LOCK_TIMEOUT_MS); a lock timeout (55P03) or deadlock (40P01)
becomes a 409 problem, never a 500.

Event writes never `save()` the whole row: `tickets_sold` is only ever changed
by the conditional UPDATEs here, so a stale in-memory copy cannot overwrite it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record, changed_fields, snapshot
from venueos.bookings import services as bookings
from venueos.common.locking import (
    BUSY_SQLSTATES,
    bound_lock_waits,
    constraint_name,
    execute_and_commit,
    lock_rows,
    lost_race_as,
)
from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_signed_in,
)
from venueos.common.problems import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    SlugTaken,
)
from venueos.events.models import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from venueos.events.promotion import waitlist_promote
from venueos.events.rules import check_event, check_quantity
from venueos.venues.models import Space, Venue
from venueos.venues.selectors import space_find

# Raised by `events_take_places` (migration 0008) when the sale takes nothing.
PLACES_NOT_TAKEN = "VE409"

EVENT_FIELDS = [
    "name",
    "slug",
    "description",
    "start_at",
    "end_at",
    "capacity",
    "settings",
    "space_id",
]

# Allowed lifecycle moves; everything else is a 409 invalid-transition.
TRANSITIONS: dict[str, frozenset[str]] = {
    EventStatus.DRAFT: frozenset({EventStatus.PUBLISHED, EventStatus.CLOSED}),
    EventStatus.PUBLISHED: frozenset(
        {EventStatus.ON_SALE, EventStatus.DRAFT, EventStatus.CLOSED}
    ),
    EventStatus.ON_SALE: frozenset({EventStatus.PAUSED, EventStatus.CLOSED}),
    EventStatus.PAUSED: frozenset({EventStatus.ON_SALE, EventStatus.CLOSED}),
    EventStatus.CLOSED: frozenset(),
}


class InvalidTransition(Conflict):
    slug, title = "invalid-transition", "Invalid status transition"


class SoldOut(Conflict):
    slug, title = "sold-out", "Sold out"


class NotOnSale(Conflict):
    slug, title = "not-on-sale", "Not on sale"


class AlreadyRegistered(Conflict):
    slug, title = "already-registered", "Already registered"


class EventStarted(Conflict):
    slug, title = "event-started", "Event already started"


class EventClosed(Conflict):
    slug, title = "event-closed", "Event closed"


class CapacityBelowSold(Conflict):
    slug, title = "capacity-below-sold", "Capacity below tickets sold"


class CheckedIn(Conflict):
    slug, title = "checked-in", "Ticket already used"


class Busy(Conflict):
    slug, title = "busy", "Try again"


# --- plumbing ---------------------------------------------------------------


# Outside the transaction: a lock timeout or deadlock that rolled the
# transaction back becomes a 409 the client may retry.
_busy_translated = lost_race_as(
    lambda state: Busy(
        "The event is busy right now (lock wait too long); nothing was "
        "changed, please retry.",
        retry=True,
    ),
    states=BUSY_SQLSTATES,
)


def _hold_title(event: Event) -> str:
    return f"Event: {event.name}"[:200]


def _slug_taken(slug: str) -> SlugTaken:
    return SlugTaken(
        f"Slug '{slug}' is already used by another event of this organization."
    )


def _space_of_venue(venue: Venue, space_id) -> Space | None:
    """The space an API client named by id, after the permission check."""
    if space_id is None:
        return None
    space = space_find(space_id, venue_id=venue.id)
    if space is None:
        raise InvalidInput.field(
            "space_id", "No such space in this venue.", slug="invalid-space"
        )
    return space


# --- events -----------------------------------------------------------------


@_busy_translated
@transaction.atomic(durable=True)
def event_create(
    *,
    venue: Venue,
    actor: User,
    name: str,
    start_at: datetime,
    end_at: datetime,
    capacity: int,
    space: Space | None = None,
    space_id: UUID | None = None,
    slug: str | None = None,
    description: str = "",
    settings: dict | None = None,
) -> Event:
    """A draft event of the venue, by its managers; with a space, a hold
    booking keeps the space free for it (`space_id`: the same, by id)."""
    require_manager_of(actor, venue.organization_id)
    if space is None:
        space = _space_of_venue(venue, space_id)
    if venue.is_archived:
        raise InvalidInput.field(
            "venue_id", "The venue is archived.", slug="venue-archived"
        )
    check_event(
        venue=venue, space=space, start_at=start_at, end_at=end_at, capacity=capacity
    )
    if start_at <= timezone.now():
        raise InvalidInput.field(
            "start_at", "An event cannot start in the past.", slug="in-the-past"
        )
    bound_lock_waits()
    slug = slug or slugify(name)[:100] or "event"
    if Event.objects.filter(organization_id=venue.organization_id, slug=slug).exists():
        raise _slug_taken(slug)
    event = Event(
        organization_id=venue.organization_id,
        venue=venue,
        space=space,
        name=name,
        slug=slug,
        description=description,
        start_at=start_at,
        end_at=end_at,
        capacity=capacity,
        settings=settings or {},
        status=EventStatus.DRAFT,
    )
    if space is not None:
        event.hold = bookings.booking_hold_create(
            space=space,
            start_time=start_at,
            end_time=end_at,
            title=_hold_title(event),
            actor=actor,
        )
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except IntegrityError as exc:
        if constraint_name(exc) == "event_slug_unique_per_org":
            raise _slug_taken(slug) from exc
        raise
    audit_record(
        AuditAction.EVENT_CREATED,
        event.id,
        actor=actor,
        new=snapshot(event, [*EVENT_FIELDS, "status"]),
    )
    return event


_MISSING = object()


@_busy_translated
@transaction.atomic(durable=True)
def event_update(
    *,
    event: Event,
    actor: User,
    space: Any = _MISSING,
    space_id: Any = _MISSING,
    **updates: Any,
) -> Event:
    """Change details, time, space (`space`, or `space_id`; None: no space) or
    capacity, by the event's managers. Capacity never drops below what is
    sold: checked here for the message, guaranteed by the CHECK constraint (a
    sale racing this update either commits first and makes it fail, or waits
    for it and is measured against the new capacity)."""
    require_manager_of(actor, event.organization_id)
    if space is _MISSING and space_id is not _MISSING:
        space = _space_of_venue(event.venue, space_id)
    event = lock_rows(
        Event.objects.select_related("venue", "space", "hold"), no_key=True
    ).get(pk=event.pk)
    if event.status == EventStatus.CLOSED:
        raise EventClosed("A closed event cannot be changed.")
    if space is not _MISSING:
        updates["space_id"] = space.id if space is not None else None
    old, new = changed_fields(event, EVENT_FIELDS, updates)
    if not new:
        return event
    target_space = event.space if space is _MISSING else space
    merged = snapshot(event, EVENT_FIELDS) | new
    check_event(
        venue=event.venue,
        space=target_space,
        start_at=merged["start_at"],
        end_at=merged["end_at"],
        capacity=merged["capacity"],
    )
    if ("start_at" in new or "end_at" in new) and merged["start_at"] <= timezone.now():
        raise InvalidInput.field(
            "start_at", "An event cannot be moved into the past.", slug="in-the-past"
        )
    if merged["capacity"] < event.tickets_sold:
        raise CapacityBelowSold(
            f"{event.tickets_sold} places are already sold; the capacity cannot be "
            f"lower than that.",
            tickets_sold=event.tickets_sold,
        )
    if "slug" in new and (
        Event.objects.filter(organization_id=event.organization_id, slug=new["slug"])
        .exclude(pk=event.pk)
        .exists()
    ):
        raise _slug_taken(new["slug"])
    for field, value in new.items():
        setattr(event, field, value)
    if space is not _MISSING:
        event.space = space
    _sync_hold(event, actor=actor, moved={"start_at", "end_at", "space_id"} & set(new))
    try:
        with transaction.atomic():
            # Never tickets_sold: only the conditional UPDATEs write it.
            event.save(update_fields=[*new, "hold", "updated_at"])
    except IntegrityError as exc:
        if constraint_name(exc) == "event_tickets_within_capacity":
            raise CapacityBelowSold(
                "Places were sold meanwhile; the capacity cannot be lower than the "
                "number sold."
            ) from exc
        if constraint_name(exc) == "event_slug_unique_per_org":
            raise _slug_taken(event.slug) from exc
        raise
    audit_record(AuditAction.EVENT_UPDATED, event.id, actor=actor, old=old, new=new)
    if new.get("capacity", 0) > old.get("capacity", 0):
        waitlist_promote(event_id=event.id, actor=actor)
    return event


def _sync_hold(event: Event, *, actor: User, moved: set[str]) -> None:
    """Keep the event's booking in the calendar in step with its time and space."""
    if not moved:
        return
    if event.hold is not None and event.space is None:
        hold, event.hold = event.hold, None
        event.save(update_fields=["hold", "updated_at"])
        bookings.booking_hold_release(booking=hold, actor=actor)
    elif event.hold is not None:
        event.hold = bookings.booking_hold_move(
            booking=event.hold,
            space=event.space,
            start_time=event.start_at,
            end_time=event.end_at,
            actor=actor,
        )
    elif event.space is not None:
        event.hold = bookings.booking_hold_create(
            space=event.space,
            start_time=event.start_at,
            end_time=event.end_at,
            title=_hold_title(event),
            actor=actor,
        )


@_busy_translated
@transaction.atomic(durable=True)
def event_transition(*, event: Event, actor: User, status: str) -> Event:
    require_manager_of(actor, event.organization_id)
    event = lock_rows(Event.objects.select_related("hold"), no_key=True).get(
        pk=event.pk
    )
    current = event.status
    if status not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(
            f"An event cannot go from '{current}' to '{status}'.",
            current_status=current,
            allowed=sorted(TRANSITIONS.get(current, ())),
        )
    if (
        current == EventStatus.PUBLISHED
        and status == EventStatus.DRAFT
        and event.tickets_sold
    ):
        raise InvalidTransition(
            "Places are already sold; the event cannot go back to draft.",
            current_status=current,
            allowed=sorted(TRANSITIONS[current] - {EventStatus.DRAFT}),
        )
    event.status = status
    fields = ["status", "updated_at"]
    hold = None
    if status == EventStatus.CLOSED and event.hold is not None:
        hold, event.hold = event.hold, None
        fields.append("hold")
    event.save(update_fields=fields)
    if hold is not None:
        bookings.booking_hold_release(booking=hold, actor=actor)
    audit_record(
        AuditAction.EVENT_STATUS_CHANGED,
        event.id,
        actor=actor,
        old={"status": current},
        new={"status": status},
    )
    if status == EventStatus.ON_SALE:
        waitlist_promote(event_id=event.id, actor=actor)
    return event


# --- registrations ----------------------------------------------------------


def _refusal(
    status: str, capacity: int, sold: int, quantity: int, started: bool
) -> Conflict | None:
    """Why a sale of `quantity` cannot happen in this state (None: it could)."""
    if status != EventStatus.ON_SALE:
        return NotOnSale(
            f"Registrations are not open (the event is '{status}').",
            event_status=status,
        )
    if started:
        return EventStarted("The event has started; registrations are closed.")
    available = max(capacity - sold, 0)
    if quantity <= available:
        return None
    return SoldOut(
        f"Only {available} place(s) left; {quantity} requested."
        if available
        else "No places left.",
        available=available,
    )


def _why_not_sold(
    event_id, quantity: int, *, refusals_only: bool = False
) -> Problem | None:
    """Read the latest committed state to explain a refused sale (with
    `refusals_only`: None when that state would allow it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, capacity, tickets_sold, start_at <= now() "
            "FROM events_event WHERE id = %s",
            [event_id],
        )
        row = cursor.fetchone()
    if row is None:
        return NotFound("No such event.")
    # Fits now but was refused a moment ago (a cancellation or capacity change
    # committed in between): still a sold-out answer, with what is left now.
    status, capacity, sold, started = row
    refusal = _refusal(status, capacity, sold, quantity, started)
    if refusals_only:
        return refusal
    return refusal or SoldOut(
        "The places were taken meanwhile; try again.",
        available=max(capacity - sold, 0),
    )


def _translate_registration_error(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except IntegrityError as exc:
            # The whole transaction rolled back, the sale included.
            if constraint_name(exc) == "registration_one_active_per_attendee":
                raise AlreadyRegistered(
                    "You already have a registration for this event; cancel it "
                    "to register again with another quantity."
                ) from exc
            if constraint_name(exc) == "event_tickets_within_capacity":
                raise SoldOut("No places left.", available=0) from exc
            raise

    return wrapper


def registration_create(
    *, event: Event, actor: User, quantity: int = 1, state_read_now: bool = False
) -> Registration:
    """Sell `quantity` places of an on-sale event to `actor` (the attendee):
    anyone signed in.

    A sale that the committed state already refuses (sold out, not on sale,
    started) is answered from one plain read, without a transaction: once an
    event sells out, its many late buyers never queue for the event's row
    behind the last winners. With `state_read_now` the caller read `event`
    in this request (`event_get_for_sale`), and its status, capacity, places
    sold and start are that read. Only a refusal is taken from that read;
    every sale is still decided by the conditional UPDATE."""
    require_signed_in(actor)
    check_quantity(quantity)
    if state_read_now:
        refusal = _refusal(
            event.status,
            event.capacity,
            event.tickets_sold,
            quantity,
            event.start_at <= timezone.now(),
        )
    else:
        refusal = _why_not_sold(event.pk, quantity, refusals_only=True)
    if refusal is not None:
        # This frame (in the problem's traceback) must not keep the problem
        # in a local: the two would form a cycle, one per sold-out answer,
        # for the cycle collector to find.
        try:
            raise refusal
        finally:
            del refusal
    return _sell(event=event, actor=actor, quantity=quantity)


def _sell(*, event: Event, actor: User, quantity: int) -> Registration:
    # A refused sale has rolled back; one more read explains why.
    with lost_race_as(
        lambda _state: _why_not_sold(event.pk, quantity),
        states=frozenset({PLACES_NOT_TAKEN}),
    ):
        return _sell_transaction(event=event, actor=actor, quantity=quantity)


@_busy_translated
@_translate_registration_error
@transaction.atomic(durable=True)
def _sell_transaction(*, event: Event, actor: User, quantity: int) -> Registration:
    # The conditional UPDATE comes last, sent with the COMMIT: the event's row
    # stays locked only for that statement and the commit, so every buyer of
    # a busy sale waits for the server's work on the winner, not for its
    # registration row, audit entry and e-mail job as well, nor for the
    # winner's thread to run again. When the UPDATE refuses, those roll back
    # with it.
    bound_lock_waits()
    registration = Registration(event=event, attendee=actor, quantity=quantity)
    registration.save(force_insert=True)
    audit_record(
        AuditAction.REGISTRATION_CREATED,
        registration.id,
        actor=actor,
        new={"event_id": event.pk, "attendee_id": actor.pk, "quantity": quantity},
    )
    (event.tickets_sold,) = execute_and_commit(
        "SELECT events_take_places(%s, %s)", [event.pk, quantity]
    )
    return registration


@_busy_translated
@transaction.atomic(durable=True)
def registration_cancel(*, registration: Registration, actor: User) -> Registration:
    """Cancel by the attendee or the event's managers, until the event starts.
    Cancelling a cancelled registration changes nothing."""
    require_signed_in(actor)
    event = registration.event
    is_attendee = actor.pk == registration.attendee_id
    if not is_attendee and not manages_organization(actor, event.organization_id):
        raise PermissionDenied("Only the attendee or the event's managers may cancel.")
    bound_lock_waits()
    with connection.cursor() as cursor:
        # Event row first (lock order), so its start time cannot move meanwhile.
        cursor.execute(
            "SELECT start_at FROM events_event WHERE id = %s FOR NO KEY UPDATE",
            [event.pk],
        )
        (start_at,) = cursor.fetchone()
        if start_at <= timezone.now():
            raise EventStarted(
                "The event has started; registrations cannot be cancelled."
            )
        cursor.execute(
            """
            UPDATE events_registration
            SET status = 'cancelled', cancelled_at = now(), cancelled_by_id = %s
            WHERE id = %s AND status = 'active'
            RETURNING quantity, cancelled_at
            """,
            [actor.pk, registration.pk],
        )
        row = cursor.fetchone()
        if row is None:
            registration.refresh_from_db()
            return registration
        quantity, cancelled_at = row
        # After the UPDATE (which waited for a scan holding the row): a new
        # statement sees a check-in that committed meanwhile.
        cursor.execute(
            "SELECT 1 FROM events_checkin WHERE registration_id = %s",
            [registration.pk],
        )
        if cursor.fetchone() is not None:
            raise CheckedIn("This ticket was already used at the door.")
        cursor.execute(
            "UPDATE events_event SET tickets_sold = tickets_sold - %s WHERE id = %s "
            "RETURNING tickets_sold",
            [quantity, event.pk],
        )
        (sold,) = cursor.fetchone()
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = cancelled_at
    registration.cancelled_by = actor
    event.tickets_sold = sold
    audit_record(
        AuditAction.REGISTRATION_CANCELLED,
        registration.id,
        actor=actor,
        old={"status": RegistrationStatus.ACTIVE},
        new={
            "status": RegistrationStatus.CANCELLED,
            "quantity": quantity,
            "by_attendee": is_attendee,
            "tickets_sold": sold,
        },
    )
    waitlist_promote(event_id=event.pk, actor=actor)
    return registration
