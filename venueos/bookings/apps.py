from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "venueos.bookings"

    def ready(self):
        # Models are loaded only now; see venueos/common/hooks.py.
        from venueos.bookings import receivers
        from venueos.venues import hooks as venue_hooks

        venue_hooks.space_moving.connect(receivers.refuse_move_with_future_bookings)
