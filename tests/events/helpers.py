"""Event test helpers: events made straight in the table, so a test states only
the status, capacity and timing that matter to it."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from venueos.events.models import Event, EventStatus
from venueos.venues.models import Venue

_counter = itertools.count(1)


def make_event(
    venue: Venue,
    *,
    status: str = EventStatus.ON_SALE,
    capacity: int = 50,
    starts_in: timedelta = timedelta(days=10),
    duration: timedelta = timedelta(hours=2),
    **fields,
) -> Event:
    n = next(_counter)
    start = timezone.now() + starts_in
    fields.setdefault("name", f"Event {n}")
    fields.setdefault("slug", f"event-{n}")
    return Event.objects.create(
        organization_id=venue.organization_id,
        venue=venue,
        start_at=start,
        end_at=start + duration,
        capacity=capacity,
        status=status,
        **fields,
    )


def set_sold(event: Event, sold: int) -> None:
    """Pretend places were sold without registrations (for lifecycle tests)."""
    Event.objects.filter(pk=event.pk).update(tickets_sold=sold)
    event.refresh_from_db()


def start_now(event: Event) -> None:
    """Move an event so that it started a minute ago."""
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        start_at=now - timedelta(minutes=1), end_at=now + timedelta(hours=1)
    )
    event.refresh_from_db()


def iso(value) -> str:
    return value.isoformat()
