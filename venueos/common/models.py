"""What `common` stores: the first answers to POSTs sent with an
`Idempotency-Key` (see idempotency.py, which owns the logic)."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="idempotency_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.scope}:{self.key}"
