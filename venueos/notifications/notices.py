"""Which audited change sends which e-mail to whom, and how it is written.

The catalogue below maps an audit action code to a notice (a template folder
under `templates/notifications/`). A notice is about the change its audit
entry records, and the job that sends it carries that entry's id: the
Message-ID is derived from the entry and the recipient, so a receiving server
can recognise a message sent twice (at-least-once delivery, see tasks.py).

| action code | notice | to |
|---|---|---|
| `booking.created`, `booking.created_on_behalf` | `booking_confirmed` or `booking_pending` | the booking's owner |
| `booking.updated` back to `pending` (a change that needs approval again) | `booking_pending` | the owner |
| `booking.confirmed` | `booking_approved` | the owner |
| `booking.rejected` | `booking_rejected` | the owner |
| `booking.admin_cancelled` | `booking_cancelled_by_manager` | the owner |
| `registration.created` | `registration_confirmed` | the attendee |
| `registration.cancelled` | `registration_cancelled` | the attendee |
| `registration.promoted` | `registration_promoted` (waiting list) | the attendee |
| `event.updated` changing `start_at`/`end_at` | `event_time_changed` | every active registration |
| `event.status_changed` to `closed` | `event_closed` | every active registration |
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from venueos.audit.models import AuditEntry
from venueos.bookings.models import Booking
from venueos.events.models import Registration

BOOKING_NOTICES = {
    "booking.confirmed": "booking_approved",
    "booking.rejected": "booking_rejected",
    "booking.admin_cancelled": "booking_cancelled_by_manager",
}
REGISTRATION_NOTICES = {
    "registration.created": "registration_confirmed",
    "registration.cancelled": "registration_cancelled",
    # Written by the waiting list when it promotes an entry to a registration.
    "registration.promoted": "registration_promoted",
}


@dataclass(frozen=True)
class Notice:
    template: str
    # Event notices go to everyone registered: one job fans out to one job per
    # registration, so that a retry never sends to the others again.
    fan_out: bool = False


def notice_for(action: str, new_values: dict | None) -> Notice | None:
    """The notice an audit entry sends, or None for a change that sends none."""
    new_values = new_values or {}
    if action in {"booking.created", "booking.created_on_behalf"}:
        pending = new_values.get("status") == "pending"
        return Notice("booking_pending" if pending else "booking_confirmed")
    if action == "booking.updated" and new_values.get("status") == "pending":
        return Notice("booking_pending")
    if action in BOOKING_NOTICES:
        return Notice(BOOKING_NOTICES[action])
    if action in REGISTRATION_NOTICES:
        return Notice(REGISTRATION_NOTICES[action])
    if action == "event.updated" and {"start_at", "end_at"} & set(new_values):
        return Notice("event_time_changed", fan_out=True)
    if action == "event.status_changed" and new_values.get("status") == "closed":
        return Notice("event_closed", fan_out=True)
    return None


def _local(moment, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%A %d %B %Y, %H:%M")


def _message_id(entry: AuditEntry, recipient_id) -> str:
    digest = hashlib.sha256(f"{entry.pk}:{recipient_id}".encode()).hexdigest()[:16]
    return f"<notice-{entry.pk}-{digest}@venueos>"


def booking_calendar(booking, *, sequence: int) -> bytes:
    """The booking as an iCalendar object: same UID as the calendar feed, so a
    calendar app updates (or, when cancelled, removes) one entry."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//VenueOS//Notifications//EN")
    calendar.add("version", "2.0")
    cancelled = booking.status == "cancelled"
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{booking.pk}@venueos")
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", booking.start_time)
    event.add("dtend", booking.end_time)
    event.add("summary", booking.title)
    event.add("location", f"{booking.space.venue.name} — {booking.space.name}")
    event.add("sequence", sequence)
    event.add(
        "status",
        {"confirmed": "CONFIRMED", "pending": "TENTATIVE"}.get(
            booking.status, "CANCELLED"
        ),
    )
    if booking.external_meeting_url:
        event.add("url", booking.external_meeting_url)
    calendar.add_component(event)
    return calendar.to_ical()


def _booking_context(entry: AuditEntry):
    booking = Booking.objects.select_related("space__venue", "user").get(
        pk=entry.entity_id
    )
    zone = ZoneInfo(booking.space.venue.timezone)
    context = {
        "booking": booking,
        "venue": booking.space.venue,
        "space": booking.space,
        "starts": _local(booking.start_time, zone),
        "ends": _local(booking.end_time, zone),
        "timezone": booking.space.venue.timezone,
        "reason": (entry.new_values or {}).get("reason", ""),
        # A change that needs the venue's approval again, not a new request.
        "changed": entry.action == "booking.updated",
    }
    sequence = AuditEntry.objects.filter(
        entity_type="booking", entity_id=booking.pk, id__lte=entry.pk
    ).count()
    attachment = ("booking.ics", booking_calendar(booking, sequence=sequence))
    return booking.user, context, attachment


def _registration_context(entry: AuditEntry):
    registration = Registration.objects.select_related("event__venue", "attendee").get(
        pk=entry.entity_id
    )
    return registration.attendee, _event_context(registration.event, registration)


def _event_context(event, registration) -> dict:
    zone = ZoneInfo(event.venue.timezone)
    return {
        "event": event,
        "venue": event.venue,
        "registration": registration,
        "starts": _local(event.start_at, zone),
        "ends": _local(event.end_at, zone),
        "timezone": event.venue.timezone,
    }


def build_message(
    entry: AuditEntry, notice: Notice, *, registration_id=None
) -> EmailMultiAlternatives:
    """The e-mail for one recipient of one audited change."""
    attachment = None
    if entry.entity_type == "booking":
        recipient, context, attachment = _booking_context(entry)
    elif registration_id is None:
        recipient, context = _registration_context(entry)
    else:
        registration = Registration.objects.select_related(
            "event__venue", "attendee"
        ).get(pk=registration_id)
        recipient = registration.attendee
        context = _event_context(registration.event, registration)
        old = entry.old_values or {}
        zone = ZoneInfo(registration.event.venue.timezone)
        for field, label in (("start_at", "old_starts"), ("end_at", "old_ends")):
            if field in old:
                context[label] = _local(parse_datetime(old[field]), zone)
    context["recipient"] = recipient
    folder = f"notifications/{notice.template}"
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{folder}/body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Message-ID": _message_id(entry, recipient.pk)},
    )
    message.attach_alternative(
        render_to_string(f"{folder}/body.html", context), "text/html"
    )
    if attachment is not None:
        name, content = attachment
        message.attach(name, content, "text/calendar; charset=utf-8")
    return message
