from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "venueos.accounts"

    def ready(self):
        from venueos.accounts import schema  # noqa: F401  (registers the extension)
