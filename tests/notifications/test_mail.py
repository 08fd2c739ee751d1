"""E-mail through the task queue, against a real SMTP server: one message per
change, to the people concerned only, none for a change that rolled back, and
none lost when the worker dies mid-job."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import timedelta

import icalendar
import pytest
from django.db import connection, transaction

from tests.bookings.helpers import at, future_day
from tests.conftest import (
    make_organization,
    make_space,
    make_user,
    make_venue,
    set_opening_hours,
)
from tests.events.helpers import make_event
from tests.notifications.conftest import (
    job_rows,
    run_jobs,
    start_worker,
    stop_worker,
)
from venueos.accounts.models import Role
from venueos.audit.actions import AuditAction
from venueos.audit.services import audit_record
from venueos.bookings.services import (
    booking_cancel,
    booking_create,
    booking_decide,
    booking_update,
)
from venueos.events.services import (
    event_transition,
    event_update,
    registration_cancel,
    registration_create,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def venue_setup():
    organization = make_organization()
    manager = make_user(Role.MANAGER, organization)
    venue = make_venue(organization)
    set_opening_hours(venue, 0, 24 * 60)
    room = make_space(venue, name="Room 101")
    hall = make_space(venue, name="Great Hall", requires_approval=True)
    return manager, venue, room, hall


def _book(actor, space, hour=10, **fields):
    day = future_day()
    return booking_create(
        actor=actor,
        space=space,
        start_time=at(day, f"{hour}:00"),
        end_time=at(day, f"{hour + 1}:00"),
        title=fields.pop("title", "Team meeting"),
        **fields,
    )


def test_a_booking_sends_its_owner_one_confirmation_with_text_html_and_ics(
    inbox, venue_setup
):
    manager, venue, room, _ = venue_setup
    customer = make_user()
    booking = _book(customer, room, title="Quarterly review & planning")

    run_jobs()

    assert inbox.recipients() == [customer.email]
    message = inbox.messages[0][1]
    assert message["Subject"] == "Booking confirmed: Quarterly review & planning"
    assert message["To"] == customer.email
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Quarterly review & planning" in text  # no HTML escaping in text
    assert "Quarterly review &amp; planning" in html
    assert "Room 101" in text and "Europe/Berlin" in text
    [ics] = [part for part in message.iter_attachments()]
    assert ics.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{booking.pk}@venueos"
    assert event["status"] == "CONFIRMED"
    assert event.decoded("dtstart") == booking.start_time
    assert [row[2] for row in job_rows()] == ["succeeded"]


def test_each_booking_decision_tells_the_owner_and_nobody_else(inbox, venue_setup):
    manager, venue, room, hall = venue_setup
    customer = make_user()
    approved = _book(customer, hall, hour=9)
    rejected = _book(customer, hall, hour=12)
    cancelled = _book(customer, room, hour=15)
    booking_decide(actor=manager, booking=approved, approve=True)
    booking_decide(actor=manager, booking=rejected, approve=False, reason="Renovation")
    booking_cancel(actor=manager, booking=cancelled, reason="Double-checked")
    own = _book(customer, room, hour=17)
    booking_cancel(actor=customer, booking=own)  # one's own cancel sends nothing

    run_jobs()

    subjects = sorted(message["Subject"] for _, message in inbox.messages)
    assert subjects == [
        "Booking approved: Team meeting",
        "Booking cancelled by the venue: Team meeting",
        "Booking confirmed: Team meeting",
        "Booking confirmed: Team meeting",
        "Booking declined: Team meeting",
        "Booking request received: Team meeting",
        "Booking request received: Team meeting",
    ]
    assert set(inbox.recipients()) == {customer.email}
    declined = next(m for _, m in inbox.messages if "declined" in m["Subject"])
    assert "Renovation" in declined.get_body(("plain",)).get_content()
    ics = next(declined.iter_attachments()).get_content()
    assert "STATUS:CANCELLED" in ics and "METHOD:CANCEL" in ics


def test_a_booking_made_on_behalf_goes_to_the_owner_not_the_manager(inbox, venue_setup):
    manager, venue, room, _ = venue_setup
    customer = make_user()
    _book(manager, room, owner=customer)

    run_jobs()

    assert inbox.recipients() == [customer.email]


def test_a_rolled_back_change_sends_nothing(inbox, venue_setup):
    manager, venue, room, _ = venue_setup
    customer = make_user()

    class Abort(Exception):
        pass

    booking = _book(customer, room)
    with pytest.raises(Abort), transaction.atomic():
        audit_record(
            AuditAction.BOOKING_ADMIN_CANCELLED,
            booking.pk,
            actor=manager,
            new={"status": "cancelled"},
        )
        raise Abort

    run_jobs()

    # The booking itself committed (its own transaction): one confirmation.
    assert [m["Subject"] for _, m in inbox.messages] == [
        "Booking confirmed: Team meeting"
    ]
    assert len(job_rows()) == 1


def test_registrations_and_event_changes_reach_the_registered_only(inbox, venue_setup):
    manager, venue, room, _ = venue_setup
    event = make_event(venue, name="Jazz Night")
    ada, bob, cy = make_user(), make_user(), make_user()
    bystander = make_user()
    for person in (ada, bob, cy):
        registration_create(event=event, actor=person)
    cancelled = event.registrations.get(attendee=cy)
    registration_cancel(registration=cancelled, actor=cy)
    event_update(
        event=event,
        actor=manager,
        start_at=event.start_at + timedelta(hours=1),
        end_at=event.end_at + timedelta(hours=1),
    )
    event_update(event=event, actor=manager, description="Bring a friend")  # no mail
    event_transition(event=event, actor=manager, status="closed")

    run_jobs()
    run_jobs()  # the fan-out jobs enqueue one job per registration

    by_subject: dict[str, list[str]] = {}
    for rcpt, message in inbox.messages:
        by_subject.setdefault(message["Subject"], []).extend(rcpt)
    assert {s: sorted(r) for s, r in by_subject.items()} == {
        "You are registered: Jazz Night": sorted([ada.email, bob.email, cy.email]),
        "Registration cancelled: Jazz Night": [cy.email],
        "New time: Jazz Night": sorted([ada.email, bob.email]),
        "Event closed: Jazz Night": sorted([ada.email, bob.email]),
    }
    assert bystander.email not in inbox.recipients()
    moved = next(m for _, m in inbox.messages if m["Subject"].startswith("New time"))
    assert "It was to start" in moved.get_body(("plain",)).get_content()


def test_a_refused_message_is_retried_with_back_off_and_then_sent(inbox, venue_setup):
    manager, venue, room, _ = venue_setup
    customer = make_user()
    inbox.refuse = 1
    _book(customer, room)

    run_jobs()

    [(job_id, _, status, attempts, _)] = job_rows()
    assert (status, attempts, inbox.messages) == ("todo", 1, [])  # refused once
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT scheduled_at > now() FROM procrastinate_jobs WHERE id = %s",
            [job_id],
        )
        assert cursor.fetchone() == (True,)  # waits before its next attempt
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s",
            [job_id],
        )
    run_jobs()

    assert inbox.recipients() == [customer.email]
    assert [row[2:4] for row in job_rows()] == [("succeeded", 2)]  # two attempts


def test_a_worker_killed_mid_job_loses_nothing_and_sends_once(inbox, venue_setup):
    manager, venue, room, _ = venue_setup
    customer = make_user()
    inbox.hold = threading.Event()
    _book(customer, room)
    fast_heartbeat = {
        "VENUEOS_WORKER_HEARTBEAT": "0.5",
        "VENUEOS_WORKER_STALLED_AFTER": "2",
    }
    first = start_worker(inbox, **fast_heartbeat)
    try:
        assert inbox.rcpt_seen.wait(60), "the worker never reached the SMTP server"
        os.kill(first.pid, signal.SIGKILL)  # mid-job: between RCPT and DATA
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    inbox.hold.set()
    assert [row[2] for row in job_rows()] == ["doing"]
    time.sleep(2.5)  # the dead worker's heartbeat goes stale

    second = start_worker(inbox, **fast_heartbeat)
    try:
        inbox.wait_for(1)
        time.sleep(1)  # room for a duplicate to show up, were there one
    finally:
        stop_worker(second)

    assert inbox.recipients() == [customer.email]
    assert [row[2] for row in job_rows()] == ["succeeded"]


def test_without_smtp_messages_are_written_as_eml_files(
    settings, tmp_path, venue_setup
):
    settings.EMAIL_BACKEND = "venueos.notifications.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    manager, venue, room, _ = venue_setup
    customer = make_user()
    _book(customer, room)

    run_jobs()

    [written] = list((tmp_path / "mail").iterdir())
    assert written.suffix == ".eml"
    content = written.read_bytes()
    assert f"To: {customer.email}".encode() in content
    assert b"Booking confirmed: Team meeting" in content
    assert b"BEGIN:VCALENDAR" in content


def test_a_waiting_list_promotion_tells_the_attendee(inbox, venue_setup):
    """The waiting list records `registration.promoted` when it turns an entry
    into a registration; that entry sends the promotion notice."""
    manager, venue, room, _ = venue_setup
    event = make_event(venue, name="Sold-out Gala")
    attendee = make_user()
    registration = registration_create(event=event, actor=attendee)
    run_jobs()
    inbox.messages.clear()
    with transaction.atomic():
        audit_record(
            AuditAction.REGISTRATION_PROMOTED,
            registration.pk,
            actor=None,
            new={"status": "active", "quantity": 1},
        )

    run_jobs()

    [(rcpt, message)] = inbox.messages
    assert rcpt == [attendee.email]
    assert message["Subject"] == "A place came free: Sold-out Gala"
    assert "waiting-list entry" in message.get_body(("plain",)).get_content()


def test_each_job_writes_a_log_line_with_its_outcome(inbox, venue_setup, caplog):
    manager, venue, room, _ = venue_setup
    _book(make_user(), room)

    with caplog.at_level(logging.INFO, logger="procrastinate.worker"):
        run_jobs()

    [ended] = [
        record
        for record in caplog.records
        if record.name.startswith("procrastinate.worker")
        and "ended with status" in record.getMessage()
        and record.job["task_name"] == "notifications.deliver"
    ]
    assert "ended with status: Success" in ended.getMessage()
    assert set(ended.job) >= {"id", "task_name", "attempts"}
    assert ended.duration >= 0


def test_a_customers_move_of_an_approved_booking_asks_for_approval_again(
    inbox, venue_setup
):
    manager, venue, room, hall = venue_setup
    customer = make_user()
    booking = booking_decide(
        actor=manager, booking=_book(customer, hall, hour=9), approve=True
    )
    run_jobs()
    inbox.messages.clear()

    booking_update(
        actor=customer,
        booking=booking,
        start_time=booking.start_time + timedelta(hours=3),
        end_time=booking.end_time + timedelta(hours=3),
    )
    run_jobs()

    [(recipients, message)] = inbox.messages
    assert recipients == [customer.email]
    assert message["Subject"] == "Booking change awaits approval: Team meeting"
    assert "pending again" in message.get_body(("plain",)).get_content()
