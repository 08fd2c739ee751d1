"""Calendar-feed writes: the user's feed (made on first use) and its rotation."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from venueos.accounts.models import User
from venueos.calendars.models import CalendarFeed
from venueos.common.permissions import require_signed_in

_SALT = "venueos.calendars.feed"


def feed_secret(user_id, generation: int) -> str:
    """The secret in the feed URL: 256 bits, derived, never stored."""
    return salted_hmac(_SALT, f"{user_id}:{generation}", algorithm="sha256").hexdigest()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def calendar_feed_secret(*, actor: User) -> str:
    """The signed-in user's feed secret, making the feed on first use."""
    require_signed_in(actor)
    feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
    if feed is None:
        feed, _ = CalendarFeed.objects.get_or_create(
            user=actor, defaults={"secret_hash": secret_hash(feed_secret(actor.pk, 1))}
        )
    return feed_secret(actor.pk, feed.generation)


@transaction.atomic
def calendar_feed_rotate(*, actor: User) -> str:
    """A new secret; the old URL stops working at once."""
    require_signed_in(actor)
    calendar_feed_secret(actor=actor)
    feed = CalendarFeed.objects.select_for_update().get(user=actor)
    feed.generation += 1
    feed.secret_hash = secret_hash(feed_secret(actor.pk, feed.generation))
    feed.rotated_at = timezone.now()
    feed.save(update_fields=["generation", "secret_hash", "rotated_at"])
    return feed_secret(actor.pk, feed.generation)
