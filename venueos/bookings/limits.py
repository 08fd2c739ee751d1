"""How many bookings one customer may hold at a venue.

A venue's `max_active_bookings_per_customer` (default 20, null: no limit)
bounds the active (pending or confirmed) bookings still to come (not yet
ended) that one customer holds there. It binds the customer a booking is
*for*; the venue's managers (and administrators) are not held to it, neither
for themselves nor when they book on someone's behalf: they run the venue.

The count is exact under concurrency: a create takes the advisory lock of
(venue, customer) in its own transaction before counting
(`venueos.common.locking`, lock order 2), so a second create of the same
customer counts after the first has committed or rolled back. A refusal is
409 `booking-limit`, with `limit` and `active`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from venueos.accounts.models import User
from venueos.bookings.models import ACTIVE_STATUSES, Booking
from venueos.common.locking import lock_customer_at_venue
from venueos.common.permissions import manages_organization
from venueos.common.problems import Conflict
from venueos.venues.models import Venue


class BookingLimitReached(Conflict):
    slug, title = "booking-limit", "Booking limit reached"


@dataclass(frozen=True)
class Allowance:
    limit: int
    active: int

    def check(self, adding: int) -> None:
        """409 `booking-limit` unless `adding` more bookings fit."""
        if self.active + adding <= self.limit:
            return
        what = "this booking" if adding == 1 else f"these {adding} bookings"
        raise BookingLimitReached(
            f"You hold {self.active} active bookings still to come at this venue; "
            f"it allows {self.limit} per customer, so {what} would be too many. "
            "Cancel one you no longer need, or wait until one has passed.",
            limit=self.limit,
            active=self.active,
        )


def customer_allowance(*, actor: User, owner: User, venue: Venue) -> Allowance | None:
    """Inside the write's transaction, before its space locks: lock (venue,
    owner) and count the owner's active bookings still to come there. None
    when no limit applies (none set, or the actor manages the venue)."""
    limit = venue.max_active_bookings_per_customer
    if limit is None or manages_organization(actor, venue.organization_id):
        return None
    lock_customer_at_venue(venue.id, owner.pk)
    active = Booking.objects.filter(
        venue_id=venue.id,
        user_id=owner.pk,
        status__in=ACTIVE_STATUSES,
        end_time__gt=timezone.now(),
    ).count()
    return Allowance(limit, active)
