from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "venueos.events"

    def ready(self):
        # Models are loaded only now; see venueos/common/hooks.py.
        from venueos.bookings import hooks as booking_hooks
        from venueos.events import receivers
        from venueos.venues import hooks as venue_hooks

        booking_hooks.booking_changing.connect(receivers.refuse_event_hold)
        venue_hooks.venue_capacity_lowering.connect(
            receivers.refuse_capacity_below_events
        )
