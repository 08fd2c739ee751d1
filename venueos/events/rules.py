"""The rules of an event and of a sale, checked by the services before they
write (event_create, event_update, registration_create, waitlist_join)."""

from __future__ import annotations

from datetime import datetime, timedelta

from venueos.common.problems import InvalidInput
from venueos.common.timeutils import require_in_years
from venueos.events.models import MAX_REGISTRATION_QUANTITY
from venueos.venues.models import MAX_BOOKING_MINUTES, Space, Venue


def check_event(
    *,
    venue: Venue,
    space: Space | None,
    start_at: datetime,
    end_at: datetime,
    capacity: int,
) -> None:
    """Readable 400s for what the constraints also enforce, and the capacity
    limits they cannot (venue.max_capacity and space.capacity)."""
    require_in_years(start_at, "start_at")
    require_in_years(end_at, "end_at")
    if end_at <= start_at:
        raise InvalidInput.field(
            "end_at", "end_at must be after start_at.", slug="invalid-time-range"
        )
    if capacity < 1:
        raise InvalidInput.field("capacity", "Capacity must be at least 1.")
    if capacity > venue.max_capacity:
        raise InvalidInput.field(
            "capacity",
            f"Capacity exceeds the venue's maximum ({venue.max_capacity}).",
            slug="capacity-too-large",
        )
    if space is not None:
        if space.venue_id != venue.id:
            raise InvalidInput.field(
                "space_id", "That space belongs to another venue.", slug="invalid-space"
            )
        if capacity > space.capacity:
            raise InvalidInput.field(
                "capacity",
                f"Capacity exceeds the space's capacity ({space.capacity}).",
                slug="capacity-too-large",
            )
        if end_at - start_at > timedelta(minutes=MAX_BOOKING_MINUTES):
            # The space is held by one booking, and a booking lasts at most 24 h.
            raise InvalidInput.field(
                "end_at",
                "An event that occupies a space lasts at most 24 hours; create one "
                "event per day, or leave the space unset.",
                slug="event-too-long-for-space",
            )


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_REGISTRATION_QUANTITY:
        raise InvalidInput.field(
            "quantity", f"Quantity must be between 1 and {MAX_REGISTRATION_QUANTITY}."
        )
