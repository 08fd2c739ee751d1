"""How events take part in venue and booking writes (connected in apps.py)."""

from __future__ import annotations

from venueos.bookings.models import Booking
from venueos.common.problems import Conflict
from venueos.events.models import Event, EventStatus
from venueos.venues.models import Venue


class EventHoldLocked(Conflict):
    slug, title = "event-hold", "Booking belongs to an event"


def refuse_event_hold(*, booking: Booking) -> None:
    """An event's hold moves and ends with its event, never on its own: a hold
    cancelled or moved as a booking would free the hall under a sold-out
    concert."""
    event = Event.objects.filter(hold_id=booking.pk).only("id", "name").first()
    if event is not None:
        raise EventHoldLocked(
            f"This booking holds the space for the event '{event.name}'; change "
            "or close the event instead.",
            event_id=str(event.id),
        )


def refuse_capacity_below_events(*, venue: Venue, max_capacity: int) -> None:
    """An event never holds more people than its venue."""
    largest = (
        Event.objects.filter(venue=venue, capacity__gt=max_capacity)
        .exclude(status=EventStatus.CLOSED)
        .order_by("-capacity")
        .values_list("capacity", flat=True)
        .first()
    )
    if largest is not None:
        raise Conflict(
            f"An open event of this venue has {largest} places; lower its capacity "
            "or close it before lowering max_capacity below that.",
            slug="capacity-below-events",
            title="Capacity below events",
        )
