"""Waiting lists: joining and leaving (writes), and the queue (reads).

Promotion, which turns waiting entries into registrations when places free
up, lives in `promotion.py`; its docstring gives the lock order every path
here follows (join: event row `FOR SHARE`, then the new entry; leave: the
entry row only).

Invariants held by PostgreSQL (migration 0004): one waiting entry per person
and event (`waitlist_one_waiting_per_attendee`, partial unique index), the
quantity in 1..10, a promoted entry names exactly one registration.
"""

from __future__ import annotations

import functools

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record
from venueos.common.locking import bound_lock_waits, constraint_name
from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_signed_in,
)
from venueos.common.problems import Conflict, InvalidInput, NotFound, PermissionDenied
from venueos.events.models import Event, EventStatus, WaitlistEntry, WaitlistStatus
from venueos.events.rules import check_quantity
from venueos.events.services import (
    AlreadyRegistered,
    EventStarted,
    NotOnSale,
    _busy_translated,
)


class NotSoldOut(Conflict):
    slug, title = "not-sold-out", "Not sold out"


class AlreadyWaiting(Conflict):
    slug, title = "already-waiting", "Already on the waiting list"


class AlreadyPromoted(Conflict):
    slug, title = "already-promoted", "Already promoted"


def _translate_join_error(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except IntegrityError as exc:
            if constraint_name(exc) == "waitlist_one_waiting_per_attendee":
                raise AlreadyWaiting(
                    "You are already on the waiting list for this event."
                ) from exc
            raise

    return wrapper


@_busy_translated
@_translate_join_error
@transaction.atomic(durable=True)
def waitlist_join(*, event: Event, actor: User, quantity: int = 1) -> WaitlistEntry:
    """Queue `actor` for `quantity` places of an on-sale event that cannot sell
    them now. Refused (409) while those places can be bought directly."""
    require_signed_in(actor)
    check_quantity(quantity)
    bound_lock_waits()
    with connection.cursor() as cursor:
        # SHARE: waits for a cancellation or capacity change in progress (and
        # its promotions), so a join never slips past places being freed.
        cursor.execute(
            "SELECT status, capacity - tickets_sold, start_at <= now() "
            "FROM events_event WHERE id = %s FOR SHARE",
            [event.pk],
        )
        row = cursor.fetchone()
        if row is None:
            raise NotFound("No such event.")
        status, available, started = row
        if status != EventStatus.ON_SALE:
            raise NotOnSale(
                f"The waiting list is open only while the event is on sale (it is "
                f"'{status}').",
                event_status=status,
            )
        if started:
            raise EventStarted("The event has started; the waiting list is closed.")
        if quantity <= available:
            raise NotSoldOut(
                f"{available} place(s) are left: register instead.",
                available=available,
            )
        cursor.execute(
            "SELECT 1 FROM events_registration "
            "WHERE event_id = %s AND attendee_id = %s AND status = 'active'",
            [event.pk, actor.pk],
        )
        if cursor.fetchone() is not None:
            raise AlreadyRegistered("You already have a ticket for this event.")
        entry = WaitlistEntry(event=event, attendee=actor, quantity=quantity)
        cursor.execute(
            """
            INSERT INTO events_waitlistentry
                (id, event_id, attendee_id, quantity, status, created_at)
            VALUES (%s, %s, %s, %s, 'waiting', now())
            RETURNING seq, created_at
            """,
            [entry.id, event.pk, actor.pk, quantity],
        )
        entry.seq, entry.created_at = cursor.fetchone()
    entry.position = _position(entry)
    audit_record(
        AuditAction.WAITLIST_JOINED,
        entry.id,
        actor=actor,
        new={
            "event_id": event.pk,
            "attendee_id": actor.pk,
            "quantity": quantity,
            "position": entry.position,
        },
    )
    return entry


@_busy_translated
@transaction.atomic(durable=True)
def waitlist_leave(*, entry: WaitlistEntry, actor: User) -> WaitlistEntry:
    """The person waiting leaves the queue; leaving twice changes nothing. A
    promoted entry is a ticket by now: cancel the registration instead."""
    if actor.pk != entry.attendee_id:
        raise PermissionDenied("Only the person waiting may leave the waiting list.")
    bound_lock_waits()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_waitlistentry SET status = 'left', left_at = now() "
            "WHERE id = %s AND status = 'waiting' RETURNING left_at",
            [entry.pk],
        )
        row = cursor.fetchone()
    if row is None:
        entry.refresh_from_db()
        if entry.status == WaitlistStatus.PROMOTED:
            raise AlreadyPromoted(
                "This entry was promoted: you have a ticket. Cancel the "
                "registration to give the places back.",
                registration_id=str(entry.registration_id),
            )
        return entry
    entry.status, entry.left_at = WaitlistStatus.LEFT, row[0]
    audit_record(
        AuditAction.WAITLIST_LEFT,
        entry.id,
        actor=actor,
        old={"status": WaitlistStatus.WAITING},
        new={
            "status": WaitlistStatus.LEFT,
            "event_id": entry.event_id,
            "attendee_id": entry.attendee_id,
        },
    )
    return entry


# --- reads ------------------------------------------------------------------


def _ahead_or_self() -> Subquery:
    """1-based place in the queue of a waiting entry (one correlated count)."""
    return Subquery(
        WaitlistEntry.objects.filter(
            event_id=OuterRef("event_id"),
            status=WaitlistStatus.WAITING,
            seq__lte=OuterRef("seq"),
        )
        .order_by()
        .values("event_id")
        .annotate(count=Count("*"))
        .values("count"),
        output_field=IntegerField(),
    )


def _with_position(entries: QuerySet) -> QuerySet:
    return entries.annotate(queue_position=_ahead_or_self())


def _position(entry: WaitlistEntry) -> int | None:
    if entry.status != WaitlistStatus.WAITING:
        return None
    return WaitlistEntry.objects.filter(
        event_id=entry.event_id, status=WaitlistStatus.WAITING, seq__lte=entry.seq
    ).count()


def waitlist_entry_get(entry_id, *, user) -> WaitlistEntry:
    """An entry its person or the event's managers may see (404 for others)."""
    entry = (
        WaitlistEntry.objects.select_related("event", "attendee")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or not (
        (user is not None and user.pk == entry.attendee_id)
        or manages_organization(user, entry.event.organization_id)
    ):
        raise NotFound("No such waiting list entry.")
    return entry


def _status_filter(status: str | None, default: str | None) -> str | None:
    """`status` from a query string: one of the statuses, `all`, or the default."""
    if status is None:
        return default
    if status in ("", "all"):
        return None
    if status not in WaitlistStatus.values:
        raise InvalidInput.field(
            "status", f"Use one of: {', '.join(WaitlistStatus.values)}, all."
        )
    return status


def waitlist_for_event(event: Event, *, user, status: str | None = None) -> QuerySet:
    """The queue in order, for the event's managers: waiting entries unless
    `status` names another (or `all`)."""
    require_manager_of(user, event.organization_id)
    status = _status_filter(status, WaitlistStatus.WAITING)
    entries = WaitlistEntry.objects.filter(event_id=event.id).select_related(
        "attendee", "event"
    )
    if status:
        entries = entries.filter(status=status)
    return _with_position(entries).order_by("seq")


def waitlist_for_user(user, *, status: str | None = None) -> QuerySet:
    """Own entries, newest first (every status unless `status` says)."""
    require_signed_in(user)
    status = _status_filter(status, None)
    entries = WaitlistEntry.objects.filter(attendee=user).select_related(
        "attendee", "event"
    )
    if status:
        entries = entries.filter(status=status)
    return _with_position(entries).order_by("-seq")


def waitlist_waiting_count(event: Event, *, user) -> int:
    require_manager_of(user, event.organization_id)
    return WaitlistEntry.objects.filter(
        event_id=event.id, status=WaitlistStatus.WAITING
    ).count()
