"""Event day in a real browser: a customer joins the waiting list of a
sold-out event and sees their place and their tickets' QR codes; gate staff
scan tickets on a phone-sized check-in screen (typing the code and Enter, as
a hardware scanner does) and see green, red or amber at a glance."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.events.helpers import make_event
from tests.web.conftest import check_page, sign_in
from venueos.events import checkin, services, waitlist
from venueos.events.models import WaitlistEntry
from venueos.testing import browser as chromium
from venueos.venues.models import Gate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_joins_the_waiting_list_and_sees_their_place_and_tickets(
    page, berlin
):
    venue = berlin["venue"]
    gala = make_event(venue, name="Sold-out Gala", capacity=2)
    services.registration_create(event=gala, actor=make_user(), quantity=2)
    waitlist.waitlist_join(event=gala, actor=make_user(), quantity=1)
    concert = make_event(venue, name="Spring Concert", capacity=10)
    customer = make_user(full_name="Chris Customer")
    ticket = services.registration_create(event=concert, actor=customer, quantity=2)

    sign_in(page, customer, next_path=f"/events/{gala.id}/")
    expect(page.get_by_text("Sold out", exact=True).first).to_be_visible()
    page.get_by_label("Places").fill("2")
    check_page(page, "event-sold-out-waitlist")
    page.get_by_role("button", name="Join the waiting list").click()

    expect(page.get_by_text(re.compile(r"number 2 in the queue"))).to_be_visible()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_text("Waiting for 2 places")).to_be_visible()
    expect(page.get_by_text(ticket.code, exact=True)).to_be_visible()
    expect(page.get_by_role("img", name=f"Ticket code {ticket.code}")).to_be_visible()
    check_page(page, "my-tickets-with-codes")
    entry = WaitlistEntry.objects.get(attendee=customer)
    assert (entry.quantity, entry.status) == (2, "waiting")

    page.goto(f"/events/{gala.id}/")
    expect(
        page.get_by_text(re.compile(r"You are number 2 on the waiting list"))
    ).to_be_visible()
    page.get_by_role("button", name="Leave the waiting list").click()
    expect(
        page.get_by_text("You left the waiting list for Sold-out Gala.")
    ).to_be_visible()
    entry.refresh_from_db()
    assert entry.status == "left"


def test_gate_staff_scan_tickets_on_a_phone(new_page, berlin):
    venue, manager = berlin["venue"], berlin["manager"]
    north = Gate.objects.create(venue=venue, name="North gate")
    Gate.objects.create(venue=venue, name="South gate")
    event = make_event(
        venue, name="Opening Night", capacity=20, starts_in=timedelta(minutes=30)
    )
    pair = services.registration_create(event=event, actor=make_user(), quantity=2)
    single = services.registration_create(event=event, actor=make_user())
    cancelled = services.registration_create(event=event, actor=make_user())
    services.registration_cancel(registration=cancelled, actor=cancelled.attendee)
    # Someone already came in at the North gate.
    checkin.checkin_create(event=event, actor=manager, code=single.code, gate=north)

    page = new_page(viewport=chromium.PHONE)
    sign_in(page, manager, next_path=f"/manage/events/{event.id}/check-in/")
    expect(page.get_by_role("heading", name="Check-in: Opening Night")).to_be_visible()
    code = page.get_by_label("Ticket code")
    expect(code).to_be_focused()
    page.get_by_label("Gate").select_option(label="South gate")
    check_page(page, "checkin-ready")

    # A hardware scanner types the code and presses Enter.
    code.press_sequentially(pair.code)
    code.press("Enter")
    expect(page.get_by_role("status", name="Scan result")).to_contain_text(
        "Admitted — 2 people"
    )
    expect(code).to_have_value("")
    expect(code).to_be_focused()
    check_page(page, "checkin-admitted")

    code.press_sequentially(single.code)
    code.press("Enter")
    expect(page.get_by_role("status", name="Scan result")).to_contain_text(
        re.compile(r"Already checked in at North gate \d\d:\d\d")
    )
    check_page(page, "checkin-already")

    for bad in (cancelled.code, "not-a-ticket"):
        code.press_sequentially(bad)
        code.press("Enter")
        expect(page.get_by_role("status", name="Scan result")).to_contain_text(
            "Not valid"
        )
        expect(code).to_be_focused()
    check_page(page, "checkin-not-valid")
    expect(
        page.get_by_text(re.compile(r"Admitted so far: 2 tickets, 3 people"))
    ).to_be_visible()
    counts = checkin.checkin_counts(event, user=manager)
    assert (counts["total"], counts["people"]) == (2, 3)

    # The managers' event page: the counts per gate (and the queue).
    page.set_viewport_size(chromium.DESKTOP)
    page.goto(f"/manage/events/{event.id}/")
    expect(page.get_by_role("heading", name="Waiting list")).to_be_visible()
    gates = page.get_by_role("table", name="Admissions per gate")
    expect(gates.get_by_role("row", name=re.compile(r"North gate 1 1"))).to_be_visible()
    expect(gates.get_by_role("row", name=re.compile(r"South gate 1 2"))).to_be_visible()
    check_page(page, "manage-event")


def test_the_check_in_screen_works_without_javascript(browser, live_server, berlin):
    venue, manager = berlin["venue"], berlin["manager"]
    event = make_event(venue, name="Plain Night", starts_in=timedelta(minutes=30))
    ticket = services.registration_create(event=event, actor=make_user())
    context = browser.new_context(
        viewport=chromium.PHONE, base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page, manager, next_path=f"/manage/events/{event.id}/check-in/")
        page.get_by_label("Ticket code").fill(ticket.code)
        page.get_by_role("button", name="Check in").click()
        expect(page.get_by_role("status", name="Scan result")).to_contain_text(
            "Admitted — 1 person"
        )
        expect(page.get_by_label("Ticket code")).to_have_value("")
    finally:
        context.close()
