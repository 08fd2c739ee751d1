"""Where higher layers take part in booking writes (see venueos/common/hooks.py).

- `booking_changing(booking=...)`: before a booking is changed or cancelled by
  `booking_update` or `booking_cancel`. A receiver refuses by raising a
  `Problem`. Connected: `events.receivers.refuse_event_hold` (an event's hold
  moves and ends only with its event).
"""

from venueos.common.hooks import Hook

booking_changing = Hook("bookings.booking_changing")
