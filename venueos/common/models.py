"""Small tables the whole application shares: the first answers to POSTs sent
with an `Idempotency-Key` (idempotency.py owns the logic) and the shared
rate-limit counters (throttling.py)."""

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


class RateCounter(models.Model):
    """One rate-limit window of one client in one scope (see throttling.py).

    In PostgreSQL so that every server process counts together; with
    `REDIS_URL` set the counters live in Redis instead and this table stays
    empty."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.IntegerField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="ratecounter_expires")]

    def __str__(self):
        return f"{self.key}: {self.count}"
