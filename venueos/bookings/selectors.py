"""Booking reads."""

from django.db import connection
from django.utils import timezone

from venueos.bookings.models import ACTIVE_STATUSES, Booking


def space_has_bookings(space_id) -> bool:
    return Booking.objects.filter(space_id=space_id).exists()


def subtree_has_active_future_bookings(space_id) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT id FROM venues_space WHERE id = %s
                UNION SELECT s.id FROM venues_space s JOIN down ON s.parent_id = down.id
            )
            SELECT EXISTS (
                SELECT 1 FROM bookings_booking b JOIN down ON b.space_id = down.id
                WHERE b.status = ANY(%s) AND b.end_time > %s
            )
            """,
            [space_id, list(ACTIVE_STATUSES), timezone.now()],
        )
        return cursor.fetchone()[0]
