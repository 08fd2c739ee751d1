"""Where higher layers take part in venue writes (see venueos/common/hooks.py).

A receiver refuses by raising a `Problem`; the write rolls back.

- `space_moving(space=...)`: before `space_update` gives a space another
  parent. Connected: `bookings.receivers.refuse_move_with_future_bookings`.
- `venue_capacity_lowering(venue=..., max_capacity=...)`: before
  `venue_update` lowers a venue's maximum capacity. Connected:
  `events.receivers.refuse_capacity_below_events`.
"""

from venueos.common.hooks import Hook

space_moving = Hook("venues.space_moving")
venue_capacity_lowering = Hook("venues.venue_capacity_lowering")
