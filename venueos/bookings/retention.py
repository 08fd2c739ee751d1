"""Data retention: an organization may set `booking_retention_days`; its
bookings cancelled or ended more than that many days ago lose their free text
(title, description, meeting URL), which may hold personal data. Times,
spaces, owners, statuses and the audit trail's facts stay, so utilization
reports and `venueos check` are unchanged; the same three fields are blanked
inside the booking's audit entries (the one UPDATE the audit log's trigger
allows, audit migration 0003, made through a function of migration 0004), and one `booking.personal_data_erased` entry
per booking records when it happened.

Runs daily in the worker (bookings/tasks.py) in batches of short transactions
(`FOR UPDATE SKIP LOCKED`: a booking being changed right now is taken next
time), and is idempotent: an erased booking no longer matches.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from venueos.audit.actions import AuditAction
from venueos.audit.services import Change, audit_record

_ERASED = {"fields": ["title", "description", "external_meeting_url"]}

_ERASE_BATCH = """
WITH expired AS (
    SELECT booking.id
      FROM bookings_booking booking
      JOIN venues_venue venue ON venue.id = booking.venue_id
      JOIN accounts_organization organization ON organization.id = venue.organization_id
     WHERE organization.booking_retention_days IS NOT NULL
       AND (booking.title <> '' OR booking.description <> ''
            OR booking.external_meeting_url <> '')
       AND (booking.end_time
                < %(now)s - make_interval(days => organization.booking_retention_days)
            OR (booking.status = 'cancelled' AND booking.cancelled_at
                < %(now)s - make_interval(days => organization.booking_retention_days)))
     ORDER BY booking.end_time
     LIMIT %(limit)s
       FOR UPDATE OF booking SKIP LOCKED
), erased AS (
    UPDATE bookings_booking booking
       SET title = '', description = '', external_meeting_url = ''
      FROM expired
     WHERE booking.id = expired.id
 RETURNING booking.id
)
SELECT id FROM erased
"""
# The application's role may not UPDATE the audit log; this function (audit
# migration 0004) makes the one erasure the log allows, and nothing else.
_ERASE_AUDIT = "SELECT audit_erase_personal_entries(%s::uuid[])"


def booking_personal_data_erase_expired(
    *, now: datetime | None = None, batch_size: int = 500
) -> int:
    """Erase what is due for every organization that set a retention; returns
    how many bookings were erased. Called by the scheduler (no actor)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic(durable=True):
            with connection.cursor() as cursor:
                cursor.execute(_ERASE_BATCH, {"now": now, "limit": batch_size})
                erased = [booking_id for (booking_id,) in cursor.fetchall()]
                if erased:
                    cursor.execute(_ERASE_AUDIT, [erased])
            audit_record(
                AuditAction.BOOKING_PERSONAL_DATA_ERASED,
                actor=None,
                changes=[Change(booking_id, new=_ERASED) for booking_id in erased],
            )
        total += len(erased)
        if len(erased) < batch_size:
            return total
