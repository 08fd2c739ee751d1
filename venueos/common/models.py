"""Small tables the whole application shares."""

from django.db import models


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
