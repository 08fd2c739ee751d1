from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "venueos.notifications"

    def ready(self) -> None:
        from venueos.audit.hooks import entries_recorded
        from venueos.notifications.receivers import on_entries_recorded

        entries_recorded.connect(on_entries_recorded)
