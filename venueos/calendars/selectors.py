"""Calendar-feed reads: whose feed a secret opens, and what a feed shows.

A user's feed: their bookings that ended less than `PAST` ago, cancelled ones
for `CANCELLED_KEPT` after the cancellation (so calendar apps remove them),
and the events they registered for (same windows). A space's busy feed: the
time it cannot be booked, i.e. the claims on it (its own bookings and those of
its children) and the exclusive claims on its ancestors, with the bookings'
set-up and clean-up time, from `PAST` ago to `AHEAD` ahead. At most
`MAX_ITEMS` entries each.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from venueos.accounts.models import User
from venueos.bookings.models import ACTIVE_STATUSES, Booking
from venueos.calendars.models import CalendarFeed
from venueos.calendars.services import secret_hash
from venueos.events.models import Registration, RegistrationStatus
from venueos.venues.models import Space

PAST = timedelta(days=90)
AHEAD = timedelta(days=400)
CANCELLED_KEPT = timedelta(days=30)
MAX_ITEMS = 2000


def feed_owner(secret: str) -> User | None:
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(secret_hash=secret_hash(secret))
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def user_feed_bookings(user: User) -> list[Booking]:
    now = timezone.now()
    return list(
        Booking.objects.select_related("space", "venue")
        .filter(user=user, end_time__gte=now - PAST)
        .filter(
            Q(status__in=ACTIVE_STATUSES) | Q(cancelled_at__gte=now - CANCELLED_KEPT)
        )
        .order_by("start_time", "id")[:MAX_ITEMS]
    )


def user_feed_registrations(user: User) -> list[Registration]:
    now = timezone.now()
    return list(
        Registration.objects.select_related("event", "event__venue", "event__space")
        .filter(attendee=user, event__end_at__gte=now - PAST)
        .filter(
            Q(status=RegistrationStatus.ACTIVE)
            | Q(cancelled_at__gte=now - CANCELLED_KEPT)
        )
        .order_by("event__start_at", "id")[:MAX_ITEMS]
    )


def space_busy_blocks(space: Space) -> list[tuple]:
    """(booking id, start, end, last change) of each booking that blocks the
    space, its set-up and clean-up time included, earliest first."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 0 FROM venues_space WHERE id = %(space)s
                UNION ALL
                SELECT s.parent_id, up.depth + 1 FROM venues_space s
                JOIN up ON s.id = up.id WHERE s.parent_id IS NOT NULL AND up.depth < 100
            )
            SELECT b.id, lower(c.period), upper(c.period), b.updated_at, b.sequence
            FROM bookings_bookingclaim c
            JOIN up ON c.space_id = up.id AND (up.depth = 0 OR c.exclusive)
            JOIN bookings_booking b ON b.id = c.booking_id
            WHERE c.venue_id = (SELECT venue_id FROM venues_space WHERE id = %(space)s)
              AND c.period && tstzrange(%(low)s, %(high)s, '[)')
            ORDER BY lower(c.period), b.id
            LIMIT %(limit)s
            """,
            {
                "space": space.id,
                "low": now - PAST,
                "high": now + AHEAD,
                "limit": MAX_ITEMS,
            },
        )
        return cursor.fetchall()
