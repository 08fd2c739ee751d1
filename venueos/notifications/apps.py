from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "venueos.notifications"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from venueos.audit.models import AuditEntry
        from venueos.common.metrics import count_change
        from venueos.notifications.tasks import notify_for_entry

        # Until the audit entry point offers its hook: post_save runs inside
        # the transaction that writes the entry.
        def on_entry(sender, instance, created, **kwargs):
            if created:
                notify_for_entry(instance)
                action = instance.action
                transaction.on_commit(lambda: count_change(action))

        post_save.connect(on_entry, sender=AuditEntry, weak=False)
