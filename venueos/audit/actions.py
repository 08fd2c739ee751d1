"""Every audited action, as one enumeration of dotted codes.

The part before the dot is the entity type the entry is about (`booking`,
`booking_series`, `event`, `registration`, `waitlist`, `checkin`, `venue`,
`space`, `gate`); a new write adds its code here.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    BOOKING_CREATED = "booking.created"
    BOOKING_CREATED_ON_BEHALF = "booking.created_on_behalf"
    BOOKING_IMPORTED = "booking.imported"
    BOOKING_UPDATED = "booking.updated"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_ADMIN_CANCELLED = "booking.admin_cancelled"
    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_REJECTED = "booking.rejected"
    BOOKING_EVENT_HOLD_CREATED = "booking.event_hold_created"
    BOOKING_EVENT_HOLD_MOVED = "booking.event_hold_moved"
    BOOKING_EVENT_HOLD_RELEASED = "booking.event_hold_released"
    BOOKING_PERSONAL_DATA_ERASED = "booking.personal_data_erased"

    BOOKING_SERIES_CREATED = "booking_series.created"

    EVENT_CREATED = "event.created"
    EVENT_UPDATED = "event.updated"
    EVENT_STATUS_CHANGED = "event.status_changed"

    REGISTRATION_CREATED = "registration.created"
    REGISTRATION_CANCELLED = "registration.cancelled"
    REGISTRATION_PROMOTED = "registration.promoted"

    WAITLIST_JOINED = "waitlist.joined"
    WAITLIST_LEFT = "waitlist.left"

    CHECKIN_ADMITTED = "checkin.admitted"

    VENUE_CREATED = "venue.created"
    VENUE_UPDATED = "venue.updated"
    VENUE_ARCHIVED = "venue.archived"
    VENUE_OPENING_HOURS_CHANGED = "venue.opening_hours_changed"
    VENUE_CLOSURE_CREATED = "venue.closure_created"
    VENUE_CLOSURE_DELETED = "venue.closure_deleted"

    SPACE_CREATED = "space.created"
    SPACE_UPDATED = "space.updated"
    SPACE_DELETED = "space.deleted"

    GATE_CREATED = "gate.created"

    @property
    def entity_type(self) -> str:
        return self.value.split(".", 1)[0]
