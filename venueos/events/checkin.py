"""Check-in at the gates: each ticket admitted exactly once.

Invariant held by PostgreSQL: `checkin_registration_unique`, at most one
check-in row per registration. A scan is one `INSERT … ON CONFLICT
(venue_id, registration_id) DO NOTHING`: two gates scanning the same code at the same
instant both try to insert, the unique index makes the second wait for the
first and then insert nothing, so exactly one gets a 201 and the other a 409
that names the first gate and time.

Lock order: the registration row `FOR SHARE`, then the check-in row. SHARE
conflicts with the cancellation's UPDATE of the registration, so a ticket
cancelled at the same instant is either cancelled first (the scan then sees
`cancelled`: 409) or admitted first (and `registration_cancel` refuses a
checked-in ticket). The event row is only read: a check-in never waits for a
sale.

Check-in is open for events that are published, on sale or paused, from the
venue's `door_open_minutes` (setting, default 120) before the start until
the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from venueos.accounts.models import User
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record
from venueos.common.locking import bound_lock_waits
from venueos.common.permissions import require_manager_of
from venueos.common.problems import Conflict, InvalidInput, NotFound
from venueos.events.models import CheckIn, Event, EventStatus
from venueos.events.services import _busy_translated
from venueos.venues.gates import gate_find
from venueos.venues.models import Gate, door_open_minutes

CHECK_IN_STATUSES = frozenset(
    {EventStatus.PUBLISHED, EventStatus.ON_SALE, EventStatus.PAUSED}
)
MAX_CODE_LENGTH = 64


class AlreadyCheckedIn(Conflict):
    slug, title = "already-checked-in", "Already checked in"


class RegistrationCancelled(Conflict):
    slug, title = "registration-cancelled", "Registration cancelled"


class CheckInClosed(Conflict):
    slug, title = "check-in-closed", "Check-in closed"


class UnknownCode(NotFound):
    slug, title = "unknown-code", "Unknown ticket code"


@dataclass(frozen=True)
class CheckInWindow:
    opens_at: datetime
    closes_at: datetime


def checkin_window(event: Event) -> CheckInWindow:
    return CheckInWindow(
        opens_at=event.start_at - timedelta(minutes=door_open_minutes(event.venue)),
        closes_at=event.end_at,
    )


def _refuse_if_closed(event: Event) -> None:
    window = checkin_window(event)
    now = timezone.now()
    if event.status not in CHECK_IN_STATUSES:
        raise CheckInClosed(
            f"Check-in is closed: the event is '{event.status}'.",
            event_status=event.status,
            opens_at=window.opens_at.isoformat(),
            closes_at=window.closes_at.isoformat(),
        )
    if not window.opens_at <= now < window.closes_at:
        detail = (
            f"Check-in opens at {window.opens_at:%Y-%m-%d %H:%M} UTC."
            if now < window.opens_at
            else "Check-in is over: the event has ended."
        )
        raise CheckInClosed(
            detail,
            event_status=event.status,
            opens_at=window.opens_at.isoformat(),
            closes_at=window.closes_at.isoformat(),
        )


def normalize_code(code: str) -> str:
    """What a person or a scanner typed, without surrounding blanks."""
    return (code or "").strip()


@_busy_translated
@transaction.atomic(durable=True)
def checkin_create(
    *,
    event: Event,
    actor: User,
    code: str,
    gate: Gate | None = None,
    gate_id: UUID | None = None,
) -> CheckIn:
    """Admit the registration with `code` at `gate` (or `gate_id`, resolved
    after the permission check; optional), once. The check-in returned carries
    the attendee's name as `attendee_name`, for the screen at the gate."""
    require_manager_of(actor, event.organization_id)
    if gate is None and gate_id is not None:
        gate = gate_find(gate_id, venue_id=event.venue_id)
        if gate is None:
            raise InvalidInput.field(
                "gate_id", "No such gate at this venue.", slug="invalid-gate"
            )
    if gate is not None and gate.venue_id != event.venue_id:
        raise InvalidInput.field(
            "gate_id", "That gate belongs to another venue.", slug="invalid-gate"
        )
    _refuse_if_closed(event)
    code = normalize_code(code)
    if not code or len(code) > MAX_CODE_LENGTH:
        raise UnknownCode("No ticket of this event has that code.")
    bound_lock_waits()
    check_in = CheckIn(event=event, gate=gate, checked_in_by=actor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, r.status, r.quantity, u.full_name "
            "FROM events_registration r JOIN accounts_user u ON u.id = r.attendee_id "
            "WHERE r.event_id = %s AND r.code = %s FOR SHARE OF r",
            [event.pk, code],
        )
        row = cursor.fetchone()
        if row is None:
            raise UnknownCode("No ticket of this event has that code.")
        registration_id, status, quantity, attendee_name = row
        if status != "active":
            raise RegistrationCancelled(
                "This ticket was cancelled.", registration_id=str(registration_id)
            )
        cursor.execute(
            """
            INSERT INTO events_checkin
                (id, venue_id, registration_id, event_id, gate_id, quantity,
                 checked_in_at, checked_in_by_id)
            VALUES (%s, %s, %s, %s, %s, %s, now(), %s)
            ON CONFLICT (venue_id, registration_id) DO NOTHING
            RETURNING checked_in_at
            """,
            [
                check_in.id,
                event.venue_id,
                registration_id,
                event.pk,
                gate.pk if gate else None,
                quantity,
                actor.pk,
            ],
        )
        inserted = cursor.fetchone()
        if inserted is None:
            raise _already_checked_in(cursor, registration_id, quantity)
    check_in.registration_id = registration_id
    check_in.quantity = quantity
    check_in.attendee_name = attendee_name  # for the gate's screen
    check_in.checked_in_at = inserted[0]
    audit_record(
        AuditAction.CHECKIN_ADMITTED,
        check_in.id,
        actor=actor,
        new={
            "event_id": event.pk,
            "registration_id": registration_id,
            "gate_id": gate.pk if gate else None,
            "quantity": quantity,
            "checked_in_at": check_in.checked_in_at,
        },
    )
    return check_in


def _already_checked_in(cursor, registration_id, quantity: int) -> AlreadyCheckedIn:
    """The first admission (committed: the unique index waited for it)."""
    cursor.execute(
        """
        SELECT c.checked_in_at, c.gate_id, g.name
        FROM events_checkin c LEFT JOIN venues_gate g ON g.id = c.gate_id
        WHERE c.registration_id = %s
        """,
        [registration_id],
    )
    checked_in_at, gate_id, gate_name = cursor.fetchone()
    where = f" at {gate_name}" if gate_name else ""
    return AlreadyCheckedIn(
        f"Already checked in{where} at {checked_in_at:%Y-%m-%d %H:%M:%S} UTC.",
        registration_id=str(registration_id),
        quantity=quantity,
        checked_in_at=checked_in_at.isoformat().replace("+00:00", "Z"),
        gate_id=str(gate_id) if gate_id else None,
        gate_name=gate_name,
    )


# --- reads ------------------------------------------------------------------


def checkin_counts(event: Event, *, user) -> dict:
    """Admissions so far, for the event's managers: registrations (`total`) and
    people (`people`), per gate of the venue (gates without a scan count 0;
    scans without a gate are one row with `gate_id` null). One query."""
    require_manager_of(user, event.organization_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT g.id, g.name, count(c.id), COALESCE(sum(c.quantity), 0)
            FROM venues_gate g
            LEFT JOIN events_checkin c ON c.gate_id = g.id AND c.event_id = %s
            WHERE g.venue_id = %s
            GROUP BY g.id, g.name
            UNION ALL
            SELECT NULL, NULL, count(*), COALESCE(sum(quantity), 0)
            FROM events_checkin WHERE event_id = %s AND gate_id IS NULL
            HAVING count(*) > 0
            ORDER BY 2 NULLS LAST, 1
            """,
            [event.pk, event.venue_id, event.pk],
        )
        rows = cursor.fetchall()
    by_gate = [
        {"gate_id": gate_id, "name": name, "count": count, "people": people}
        for gate_id, name, count, people in rows
    ]
    return {
        "total": sum(row["count"] for row in by_gate),
        "people": sum(row["people"] for row in by_gate),
        "by_gate": by_gate,
    }
