"""E-mail on event day: the confirmation carries the ticket code, and a real
promotion from the waiting list (a cancellation frees the place) tells the
person promoted, once, after the commit."""

from __future__ import annotations

import pytest

from tests.conftest import make_organization, make_user, make_venue
from tests.events.helpers import make_event
from tests.notifications.conftest import run_jobs
from venueos.events.services import registration_cancel, registration_create
from venueos.events.waitlist import waitlist_join

pytestmark = pytest.mark.django_db(transaction=True)


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_confirmation_carries_the_ticket_code(inbox):
    event = make_event(make_venue(make_organization()), name="Spring Concert")
    attendee = make_user()
    ticket = registration_create(event=event, actor=attendee, quantity=2)
    run_jobs()
    [(rcpt, message)] = inbox.messages
    assert rcpt == [attendee.email]
    assert f"Ticket: {ticket.code}" in _body(message)
    assert ticket.code in message.get_body(("html",)).get_content()


def test_a_promotion_tells_the_person_promoted_with_their_ticket_code(inbox):
    event = make_event(
        make_venue(make_organization()), name="Sold-out Gala", capacity=1
    )
    holder = make_user()
    ticket = registration_create(event=event, actor=holder)
    waiting = make_user()
    entry = waitlist_join(event=event, actor=waiting)
    run_jobs()
    inbox.messages.clear()

    registration_cancel(registration=ticket, actor=holder)
    run_jobs()

    by_recipient = {tuple(rcpt): message for rcpt, message in inbox.messages}
    assert set(by_recipient) == {(holder.email,), (waiting.email,)}
    notice = by_recipient[(waiting.email,)]
    assert notice["Subject"] == "A place came free: Sold-out Gala"
    entry.refresh_from_db()
    assert f"Ticket: {entry.registration.code}" in _body(notice)
    assert "Ticket:" not in _body(by_recipient[(holder.email,)])  # cancelled
