"""How notifications take part in audited writes (connected in apps.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from venueos.audit.models import AuditEntry
from venueos.common.metrics import count_change
from venueos.notifications.tasks import notify_for_entry


def on_entries_recorded(*, entries: Sequence[AuditEntry]) -> None:
    """Inside the write's transaction: enqueue the entry's e-mail (the job
    commits or rolls back with the change) and count the change once the
    transaction commits.

    Batches (a bulk import, the bookings of a recurring series) send no mail
    and are not counted, one per booking: a series of fifty would otherwise
    send fifty confirmations."""
    if len(entries) != 1:
        return
    [entry] = entries
    notify_for_entry(entry)
    action = entry.action
    transaction.on_commit(lambda: count_change(action))
