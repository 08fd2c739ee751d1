"""Every page in a real browser: axe-core finds no serious or critical
violation, nothing scrolls sideways at 375 px, and a screenshot of each page at
desktop and phone width lands in .venueos/screenshots/. Also the events flow
and the grid's htmx navigation."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.web.conftest import BERLIN, book_name, check_page, nav, sign_in
from venueos.accounts.models import Role
from venueos.bookings.models import Booking
from venueos.bookings.services import booking_create
from venueos.events.models import EventStatus, Registration
from venueos.events.services import event_create, event_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _event_on_sale(berlin, day, *, capacity=10):
    manager = berlin["manager"]
    start = datetime.combine(day, time(18), tzinfo=BERLIN)
    event = event_create(
        venue=berlin["venue"],
        actor=manager,
        name="Tech Talks",
        description="Three short talks.",
        start_at=start,
        end_at=start + timedelta(hours=2),
        capacity=capacity,
    )
    for status in (EventStatus.PUBLISHED, EventStatus.ON_SALE):
        event = event_transition(event=event, actor=manager, status=status)
    return event


def _booking(customer, space, day, hour, **fields):
    start = datetime.combine(day, time(hour), tzinfo=BERLIN)
    space.venue.refresh_from_db()
    return booking_create(
        actor=customer,
        space=space,
        start_time=start,
        end_time=start + timedelta(hours=1),
        title=fields.pop("title", "Team meeting"),
        **fields,
    )


def _past_booking(customer, space):
    """The services refuse the past; the table takes it (as time goes by)."""
    end = timezone.now().replace(microsecond=0) - timedelta(days=2)
    return Booking.objects.create(
        venue_id=space.venue_id,
        space=space,
        user=customer,
        created_by=customer,
        start_time=end - timedelta(hours=1),
        end_time=end,
        title="Last week's review",
    )


def test_public_pages(page, berlin, day):
    venue = berlin["venue"]
    _booking(make_user(), berlin["rooms"]["Room 101"], day, 9)
    _event_on_sale(berlin, day)
    for name, path in [
        ("home", "/"),
        ("venue-day", f"/venues/{venue.id}/?date={day.isoformat()}"),
        ("venue-week", f"/venues/{venue.id}/?date={day.isoformat()}&view=week"),
        ("venue-grid-page", f"/venues/{venue.id}/grid/?date={day.isoformat()}"),
        ("sign-in", "/login/"),
        ("sign-up", "/signup/"),
        ("events", "/events/"),
        ("not-found", "/venues/00000000-0000-0000-0000-000000000000/"),
    ]:
        page.goto(path)
        check_page(page, name)
    page.goto(f"/venues/{venue.id}/?date={day.isoformat()}")
    busy = page.locator(f"#grid td[data-space-id='{berlin['rooms']['Room 101'].id}']")
    expect(busy.filter(has_text="Busy")).to_have_count(1)
    expect(page.get_by_text("Times in Europe/Berlin")).to_be_visible()


def test_customer_pages_and_the_events_flow(page, berlin, day):
    customer = make_user(full_name="Chris Customer")
    booking = _booking(customer, berlin["rooms"]["Room 102"], day, 11)
    _past_booking(customer, berlin["rooms"]["Room 101"])
    event = _event_on_sale(berlin, day, capacity=5)
    sign_in(page, customer)
    for name, path in [
        ("booking-form", f"/bookings/new/?space={berlin['hall'].id}"),
        ("booking-detail", f"/bookings/{booking.id}/"),
        ("my-bookings-past", "/my/bookings/?when=past"),
        ("my-tickets-empty", "/my/tickets/"),
    ]:
        page.goto(path)
        check_page(page, name)

    page.goto("/events/")
    page.get_by_role("link", name="Tech Talks", exact=True).click()
    expect(page.get_by_text("5 of 5 left")).to_be_visible()
    check_page(page, "event")
    page.get_by_label("Places").fill("6")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Only 5 place(s) left; 6 requested.")).to_be_visible()
    check_page(page, "event-refused")
    page.get_by_label("Places").fill("2")
    page.get_by_role("button", name="Register").click()
    expect(
        page.get_by_text("You are registered for Tech Talks: 2 places.")
    ).to_be_visible()
    check_page(page, "my-tickets")
    registration = Registration.objects.get()
    assert (registration.attendee, registration.quantity) == (customer, 2)

    page.get_by_role("link", name="Tech Talks", exact=True).click()
    expect(page.get_by_text("3 of 5 left")).to_be_visible()
    nav(page).get_by_role("link", name="My tickets").click()
    page.get_by_role("link", name="Cancel my places for Tech Talks").click()
    check_page(page, "ticket-cancel")
    page.get_by_role("button", name="Cancel my places").click()
    expect(
        page.get_by_text("Your places for Tech Talks are cancelled.")
    ).to_be_visible()
    event.refresh_from_db()
    assert event.tickets_sold == 0


def test_a_manager_sees_the_dashboard(page, berlin, day):
    _booking(make_user(), berlin["hall"], day, 10, title="Gala")
    sign_in(page, berlin["manager"])
    nav(page).get_by_role("link", name="Dashboard").click()
    approvals = page.get_by_role("region", name="Waiting for approval")
    expect(approvals.get_by_role("link", name="Gala", exact=True)).to_be_visible()
    check_page(page, "dashboard")


def test_the_grid_moves_between_days_in_place_and_by_plain_links(page, berlin, day):
    venue = berlin["venue"]
    page.goto(f"/venues/{venue.id}/?date={day.isoformat()}")
    page.evaluate("() => { window.stayedOnThisPage = true; }")
    page.get_by_role("link", name="Next day").click()
    next_day = day + timedelta(days=1)
    expect(
        page.get_by_role("heading", name=next_day.strftime("%A %-d %B %Y"))
    ).to_be_visible()
    assert page.evaluate("() => window.stayedOnThisPage") is True  # htmx swap
    assert f"date={next_day.isoformat()}" in page.url
    page.get_by_label("Booking length").select_option("120")
    expect(
        page.get_by_role("link", name=book_name("Room 101", "10:00"))
    ).to_be_visible()
    expect(page.get_by_role("link", name=book_name("Room 101", "09:00"))).to_have_count(
        0
    )
    page.get_by_role("link", name="Week", exact=True).click()
    expect(page.get_by_role("heading", name="Week of")).to_be_visible()
    check_page(page, "venue-week-2h")

    # Without JavaScript the same links load whole pages.
    context = page.context.browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(
        page.url.split("?")[0].replace("/grid/", "/") + f"?date={day.isoformat()}"
    )
    plain.get_by_role("link", name="Previous day").click()
    expect(
        plain.get_by_role(
            "heading", name=(day - timedelta(days=1)).strftime("%A %-d %B %Y")
        )
    ).to_be_visible()
    context.close()
    assert Role.CUSTOMER  # the grid needs no account
