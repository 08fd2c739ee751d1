from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    name = "venueos.common"

    def ready(self):
        from venueos.common.dbroles import grant_after_migrate

        # After every app's migrations (post_migrate comes once per app; one
        # sender is enough), so every table exists when the grants run.
        post_migrate.connect(grant_after_migrate, sender=self)
