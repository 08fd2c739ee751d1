from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "venueos.audit"
