"""React to every audited change, inside the transaction that made it.

`audit_record` calls `entries_recorded(entries=[...])` right after inserting
its entries: once per call, with every entry it recorded (one for a single
write, all of a batch for a bulk import), before the write's transaction
commits. A higher layer connects a receiver at start-up, without this layer
importing it::

    # venueos/notifications/apps.py (for instance)
    def ready(self):
        from venueos.audit.hooks import entries_recorded
        entries_recorded.connect(enqueue_emails)

    def enqueue_emails(*, entries):
        for entry in entries:
            if entry.action == AuditAction.BOOKING_CONFIRMED:
                EmailJob.objects.create(...)     # commits with the booking

Each entry is a saved `AuditEntry` (`id`, `action`, `entity_type`,
`entity_id`, `actor_id`, `old_values`, `new_values`, `request_id`). A receiver
that raises rolls the write back; work that must only happen after a commit
(NOTIFY, sending mail) goes through `transaction.on_commit`.
"""

from venueos.common.hooks import Hook

entries_recorded = Hook("audit.entries_recorded")
