"""E-mail jobs. `notify_for_entry` runs inside the transaction that records a
change (the audit hook), so a job exists exactly when its change committed.

Delivery is at least once: a job retries with exponential back-off (3, 9, 27 …
seconds, 8 attempts, then it stays `failed` in the admin and `venueos jobs`),
and a job whose worker died is retried once the worker's heartbeat is stale
(common/tasks.py). A worker killed after the SMTP server accepted a message but
before the job was marked done sends it again, with the same Message-ID.
"""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from venueos.audit.models import AuditEntry
from venueos.notifications.notices import build_message, notice_for

logger = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
MAIL_RETRY = RetryStrategy(max_attempts=8, exponential_wait=3)


def notify_for_entry(entry: AuditEntry) -> None:
    """Enqueue the e-mail an audited change sends, in the caller's transaction."""
    notice = notice_for(entry.action, entry.new_values)
    if notice is None:
        return
    if notice.fan_out:
        announce.defer(entry_id=entry.pk)
    else:
        deliver.defer(entry_id=entry.pk)


@app.task(name="notifications.deliver", queue=MAIL_QUEUE, retry=MAIL_RETRY)
def deliver(*, entry_id: int, registration_id: str | None = None) -> None:
    entry = AuditEntry.objects.get(pk=entry_id)
    notice = notice_for(entry.action, entry.new_values)
    message = build_message(entry, notice, registration_id=registration_id)
    message.send()
    logger.info(
        "sent %s to %s",
        notice.template,
        message.to[0],
        extra={"notice": notice.template, "audit_entry": entry_id},
    )


@app.task(name="notifications.announce", queue=MAIL_QUEUE, retry=MAIL_RETRY)
def announce(*, entry_id: int) -> None:
    """One job per active registration of the event, enqueued in one statement."""
    from venueos.events.models import Registration, RegistrationStatus

    entry = AuditEntry.objects.get(pk=entry_id)
    registrations = Registration.objects.filter(
        event_id=entry.entity_id, status=RegistrationStatus.ACTIVE
    ).values_list("pk", flat=True)
    jobs = [{"entry_id": entry_id, "registration_id": str(pk)} for pk in registrations]
    if jobs:
        deliver.batch_defer(*jobs)
