"""The audit log: append-only. A trigger (migration 0002) refuses UPDATE and
DELETE, so no code path of the application can rewrite history."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    entity_type = models.CharField(max_length=50)
    entity_id = models.UUIDField()
    action = models.CharField(max_length=60)
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["entity_type", "entity_id", "id"], name="audit_entity")
        ]

    def __str__(self):
        return f"{self.action} {self.entity_type}:{self.entity_id}"
