"""Promotion from the waiting list: freed places go to the queue, in the same
transaction that freed them.

Called by every write that can free places of an on-sale event while holding
its row lock: `registration_cancel` (a registration cancelled),
`event_update` (the capacity raised) and `event_transition` (back on sale).
Nothing here opens a transaction or takes the event lock itself: the caller
already holds it, which is what makes the queue consistent.

Invariants
- Never oversold: each promotion is a sale, made by the very statement a sale
  uses (`UPDATE events_event SET tickets_sold = tickets_sold + n WHERE … AND
  tickets_sold + n <= capacity`, under `CHECK (tickets_sold <= capacity)`),
  and the registration row is inserted in the same transaction.
- First come, first served: the queue is read in `seq` order (a sequence, fixed
  when an entry joins); an entry whose quantity does not fit the places left
  is skipped and keeps its place, the next one that fits is promoted.
- Nobody promoted twice: an entry is claimed with `UPDATE … WHERE status =
  'waiting'`, and `waitlist_promoted_has_registration` ties a promoted entry to
  exactly one registration (a one-to-one column).

Lock order (every path that touches the queue)
1. sale (`registration_create`): event row (the conditional UPDATE), then
   the new registration row;
2. cancellation, capacity raise, back on sale: event row (`FOR NO KEY
   UPDATE`), then the registration being cancelled, then, here, the waiting
   entries one by one in queue order, then the new registration rows;
3. joining (`waitlist.waitlist_join`): event row `FOR SHARE`, then the new
   entry. SHARE conflicts with NO KEY UPDATE, so a join and a promotion never
   overlap: a join either commits before the promotion reads the queue (and is
   in it, with a smaller `seq` than any later join) or waits and then sees the
   places already given away;
4. leaving (`waitlist.waitlist_leave`): the entry row only, one conditional
   UPDATE. A promotion that meets an entry being left waits for that one
   short transaction and then re-reads it: no deadlock (the leaver holds no
   other lock) and no skipping.

Why not `FOR UPDATE SKIP LOCKED` on the queue: skipping a locked entry would
promote the one behind it while the skipped one might stay waiting (its
leaver could roll back), which breaks first come, first served. The event row
lock already serializes promoters, so the only lock an entry can be held by is
a leaver's, and waiting for it is short and bounded by `lock_timeout`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from venueos.audit.services import audit_record
from venueos.events.models import new_ticket_code

# Entries read per round trip; promotion stops as soon as nothing is left.
_BATCH = 200


@dataclass(frozen=True)
class Promotion:
    entry_id: uuid.UUID
    registration_id: uuid.UUID
    attendee_id: uuid.UUID
    quantity: int
    tickets_sold: int


def waitlist_promote(*, event_id, actor) -> list[Promotion]:
    """Give the event's free places to the waiting list, in order. The caller
    holds the event row lock (`FOR NO KEY UPDATE` or an UPDATE of the row) in
    the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT capacity - tickets_sold FROM events_event "
            "WHERE id = %s AND status = 'on_sale' AND start_at > now()",
            [event_id],
        )
        row = cursor.fetchone()
    available = row[0] if row else 0
    promoted: list[Promotion] = []
    after_seq = -1
    while available > 0:
        batch = _waiting(event_id, after_seq, max_quantity=available)
        if not batch:
            break
        for entry_id, seq, attendee_id, quantity, registered in batch:
            after_seq = seq
            if quantity > available:
                continue
            if registered:
                _drop_registered(entry_id, attendee_id, event_id, actor)
                continue
            promotion = _promote(event_id, entry_id, attendee_id, quantity, actor)
            if promotion is not None:
                promoted.append(promotion)
                available -= quantity
            if available == 0:
                break
    return promoted


def _waiting(event_id, after_seq: int, *, max_quantity: int) -> list[tuple]:
    """The next waiting entries after `after_seq` that could fit, with whether
    their person already holds an active registration (bought directly while
    waiting). Larger entries are left out here: they would be skipped anyway."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.id, w.seq, w.attendee_id, w.quantity,
                   EXISTS (
                       SELECT 1 FROM events_registration r
                       WHERE r.event_id = w.event_id AND r.attendee_id = w.attendee_id
                         AND r.status = 'active'
                   )
            FROM events_waitlistentry w
            WHERE w.event_id = %s AND w.status = 'waiting' AND w.seq > %s
              AND w.quantity <= %s
            ORDER BY w.seq
            LIMIT %s
            """,
            [event_id, after_seq, max_quantity, _BATCH],
        )
        return cursor.fetchall()


def _promote(event_id, entry_id, attendee_id, quantity: int, actor):
    """One promotion, in a savepoint: claim the entry, sell its places with the
    sale's own conditional UPDATE, insert the registration. None when the entry
    was left meanwhile (or, defensively, when the places do not fit after all)."""
    registration_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        # Waits for a leaver holding the row, then re-checks the status.
        cursor.execute(
            """
            UPDATE events_waitlistentry
            SET status = 'promoted', registration_id = %s, promoted_at = now()
            WHERE id = %s AND status = 'waiting'
            RETURNING id
            """,
            [registration_id, entry_id],
        )
        if cursor.fetchone() is None:
            return None
        cursor.execute(
            """
            UPDATE events_event SET tickets_sold = tickets_sold + %s
            WHERE id = %s AND status = 'on_sale' AND tickets_sold + %s <= capacity
              AND start_at > now()
            RETURNING tickets_sold
            """,
            [quantity, event_id, quantity],
        )
        row = cursor.fetchone()
        if row is None:
            transaction.set_rollback(True)
            return None
        (sold,) = row
        cursor.execute(
            """
            INSERT INTO events_registration
                (id, event_id, attendee_id, quantity, status, code, created_at)
            VALUES (%s, %s, %s, %s, 'active', %s, now())
            """,
            [registration_id, event_id, attendee_id, quantity, new_ticket_code()],
        )
    audit_record(
        entity_type="registration",
        entity_id=registration_id,
        action="registration.promoted",
        actor=actor,
        new={
            "event_id": event_id,
            "attendee_id": attendee_id,
            "quantity": quantity,
            "waitlist_entry_id": entry_id,
            "tickets_sold": sold,
        },
    )
    return Promotion(entry_id, registration_id, attendee_id, quantity, sold)


def _drop_registered(entry_id, attendee_id, event_id, actor) -> None:
    """Someone who bought places directly while waiting leaves the queue: one
    active registration per person and event."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_waitlistentry SET status = 'left', left_at = now() "
            "WHERE id = %s AND status = 'waiting' RETURNING id",
            [entry_id],
        )
        if cursor.fetchone() is None:
            return
    audit_record(
        entity_type="waitlist",
        entity_id=entry_id,
        action="waitlist.left",
        actor=actor,
        old={"status": "waiting"},
        new={
            "status": "left",
            "event_id": event_id,
            "attendee_id": attendee_id,
            "reason": "already-registered",
        },
    )
