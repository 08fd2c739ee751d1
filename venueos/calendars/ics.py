"""iCalendar (RFC 5545) documents, built with the `icalendar` library.

Times are UTC (`DTSTART:20270301T090000Z`), so no VTIMEZONE is needed and
every calendar app places them right across DST changes. UIDs are stable:
`<booking id>@venueos` for bookings, `<registration id>@venueos` for event
registrations, and for busy blocks a UUID derived from the booking id (so a
public feed does not reveal booking ids).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from icalendar import Calendar, Event

from venueos.bookings.models import Booking, BookingStatus
from venueos.events.models import Registration, RegistrationStatus
from venueos.venues.addresses import format_address

_BUSY_NAMESPACE = uuid.UUID("6f1c0f4e-3f0e-4d59-9d0a-0b6f7f1e2c11")
# SEQUENCE of an event registration: seconds since this instant of its last
# change (registrations and events keep no counter; this grows on each change).
_SEQUENCE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STATUS = {
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CANCELLED: "CANCELLED",
}


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//VenueOS//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def location(venue, space=None) -> str:
    """ "Venue — Space", then the venue's address if it has one."""
    text = f"{venue.name} — {space.name}" if space is not None else venue.name
    address = format_address(venue.address)
    return f"{text}, {address}" if address else text


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def booking_event(booking: Booking) -> Event:
    event = Event()
    event.add("uid", f"{booking.id}@venueos")
    event.add("dtstamp", _utc(booking.updated_at))
    event.add("last-modified", _utc(booking.updated_at))
    event.add("dtstart", _utc(booking.start_time))
    event.add("dtend", _utc(booking.end_time))
    event.add("summary", booking.title)
    if booking.description:
        event.add("description", booking.description)
    event.add("location", location(booking.venue, booking.space))
    event.add("status", STATUS[booking.status])
    event.add("sequence", booking.sequence)
    return event


def registration_event(registration: Registration) -> Event:
    show = registration.event
    changed = max(show.updated_at, registration.cancelled_at or registration.created_at)
    event = Event()
    event.add("uid", f"{registration.id}@venueos")
    event.add("dtstamp", _utc(changed))
    event.add("last-modified", _utc(changed))
    event.add("dtstart", _utc(show.start_at))
    event.add("dtend", _utc(show.end_at))
    event.add("summary", show.name)
    event.add("location", location(show.venue, show.space))
    event.add(
        "status",
        "CANCELLED"
        if registration.status == RegistrationStatus.CANCELLED
        else "CONFIRMED",
    )
    event.add("sequence", int((changed - _SEQUENCE_EPOCH).total_seconds()))
    return event


def user_calendar(bookings: list[Booking], registrations: list[Registration]) -> bytes:
    calendar = _calendar("VenueOS")
    for booking in bookings:
        calendar.add_component(booking_event(booking))
    for registration in registrations:
        calendar.add_component(registration_event(registration))
    return calendar.to_ical()


def busy_calendar(space, blocks: list[tuple]) -> bytes:
    calendar = _calendar(f"{space.venue.name} — {space.name}: busy")
    where = location(space.venue, space)
    for booking_id, start, end, changed, sequence in blocks:
        event = Event()
        event.add("uid", f"{uuid.uuid5(_BUSY_NAMESPACE, str(booking_id))}@venueos")
        event.add("dtstamp", _utc(changed))
        event.add("dtstart", _utc(start))
        event.add("dtend", _utc(end))
        event.add("summary", "Busy")
        event.add("location", where)
        event.add("transp", "OPAQUE")
        event.add("sequence", sequence)
        calendar.add_component(event)
    return calendar.to_ical()
