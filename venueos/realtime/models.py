"""The change log behind the live stream (`GET /api/v1/stream/`).

Rows are written only by the PostgreSQL triggers of migration 0002, in the
transaction of the change itself, and read by `venueos.realtime.hub` and the
`Last-Event-ID` replay. See `venueos/realtime/hub.py` for why `id` is assigned
at commit time rather than at insert time.
"""

from django.db import models


class Change(models.Model):
    """One message of the stream; `id` is the SSE `id`."""

    # From realtime_change_id_seq, taken by the commit-time trigger under the
    # commit-order lock (never by Django).
    id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    organization_id = models.UUIDField()
    venue_id = models.UUIDField(null=True)
    event_id = models.UUIDField(null=True)
    # The one person besides the organization's managers who may see a private
    # change: the booking's owner, the registration's attendee.
    user_id = models.UUIDField(null=True)
    public = models.BooleanField()
    data = models.JSONField()

    class Meta:
        indexes = [
            models.Index(fields=["venue_id", "id"], name="change_venue"),
            models.Index(fields=["event_id", "id"], name="change_event"),
            models.Index(fields=["organization_id", "id"], name="change_organization"),
            models.Index(fields=["created_at"], name="change_created"),
        ]

    def __str__(self):
        return f"{self.id} {self.kind}"


class PruneMark(models.Model):
    """Every change up to `pruned_through` has been deleted: a `Last-Event-ID`
    below it cannot be replayed exactly and gets a `reset` event instead."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pruned_through = models.BigIntegerField(default=0)

    def __str__(self):
        return f"pruned through {self.pruned_through}"
