"""How bookings take part in venue writes (connected in apps.py)."""

from __future__ import annotations

from venueos.bookings.selectors import subtree_has_active_future_bookings
from venueos.common.problems import Conflict
from venueos.venues.models import Space


def refuse_move_with_future_bookings(*, space: Space) -> None:
    """Active bookings hold claims on the ancestors they had when made; moving a
    subtree that still has future bookings would leave those claims on the old
    ancestors, so the move is refused until the bookings are moved or ended."""
    if subtree_has_active_future_bookings(space.id):
        raise Conflict(
            "This space (or a space inside it) has upcoming bookings; move or cancel "
            "them before moving the space to another parent.",
            slug="space-has-bookings",
            title="Space has bookings",
        )
