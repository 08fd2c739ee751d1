"""A user's secret calendar-feed URL.

Only a SHA-256 hash of the secret is stored. The secret itself is an HMAC of
the user id and the feed's `generation` under the server's secret key, so
`GET /me/calendar/` can show the same URL again without storing it; rotating
bumps the generation (the old URL's hash is gone, so it answers 404).
Changing `VENUEOS_SECRET_KEY` changes every feed URL.
"""

from django.conf import settings
from django.db import models


class CalendarFeed(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    generation = models.PositiveIntegerField(default=1)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"calendar feed of {self.user_id}"
