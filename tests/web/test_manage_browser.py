"""Managers and administrators in a real browser: approving a pending booking
from the dashboard, editing opening hours and seeing the availability grid
follow, and every manager or admin page checked with axe-core at desktop and
phone width (screenshots in `.venueos/screenshots/manage-*.png`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import make_organization, make_user
from tests.realtime.helpers import database_url, serve
from tests.web.conftest import BERLIN, book_name, check_page, sign_in
from venueos.accounts.models import Role
from venueos.bookings.models import Booking, BookingStatus
from venueos.bookings.services import booking_create
from venueos.events.services import (
    event_create,
    event_transition,
    registration_create,
)
from venueos.testing import browser as chromium
from venueos.venues.models import OpeningHours
from venueos.venues.services import closure_create
from venueos.web.forms_manage import WEEKDAY_NAMES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.fixture
def pending(berlin, day):
    customer = make_user(full_name="Chris Customer")
    return booking_create(
        actor=customer,
        space=berlin["hall"],
        start_time=at(day, 14),
        end_time=at(day, 16),
        title="Board meeting",
        attendee_count=40,
    )


def test_the_manager_approves_a_pending_booking(page, berlin, pending):
    sign_in(page, berlin["manager"])
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    approvals = page.get_by_role("region", name="Waiting for approval")
    expect(
        approvals.get_by_role("link", name="Board meeting", exact=True)
    ).to_be_visible()

    approvals.get_by_role("button", name="Confirm Board meeting").click()

    expect(page.get_by_text("“Board meeting” is confirmed.")).to_be_visible()
    expect(page.get_by_text("Nothing waits for approval.")).to_be_visible()
    pending.refresh_from_db()
    assert pending.status == BookingStatus.CONFIRMED


def test_the_dashboard_lists_changes_as_they_happen(browser, berlin, day):
    # The stream is an async view: this test's page comes from a real
    # `venueos serve` on the test database (the live server is WSGI).
    with serve(database_url(connection.settings_dict), workers=1) as base:
        context = browser.new_context(base_url=base, locale=chromium.LOCALE)
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in(page, berlin["manager"])
        page.goto("/manage/")
        feed = page.get_by_role("region", name="Live changes")
        expect(feed.get_by_text("Changes appear here as they happen.")).to_be_visible()
        booking_create(
            actor=make_user(),
            space=berlin["rooms"]["Room 102"],
            start_time=at(day, 9),
            end_time=at(day, 10),
            title="Early call",
        )
        expect(feed.get_by_text("Booking made (confirmed)")).to_be_visible()
        context.close()


def test_the_manager_edits_opening_hours_and_the_grid_follows(page, berlin, day):
    venue = berlin["venue"]
    grid = f"/venues/{venue.id}/?date={day.isoformat()}"
    sign_in(page, berlin["manager"], next_path=grid)
    expect(page.get_by_role("link", name=book_name("Room 101", "14:00"))).to_have_count(
        1
    )

    page.goto(f"/manage/venues/{venue.id}/hours/")
    weekday = WEEKDAY_NAMES[day.weekday()]
    closes = page.get_by_label(f"{weekday} Closes (1)", exact=True)
    expect(closes).to_have_value("20:00")
    closes.fill("12:00")
    page.get_by_label(f"{weekday} Opens (2)", exact=True).fill("16:00")
    page.get_by_label(f"{weekday} Closes (2)", exact=True).fill("18:00")
    page.get_by_role("button", name="Save opening hours").click()
    expect(page.get_by_text("The opening hours are saved.")).to_be_visible()
    assert sorted(
        OpeningHours.objects.filter(venue=venue, weekday=day.weekday()).values_list(
            "opens_minute", "closes_minute"
        )
    ) == [(480, 720), (960, 1080)]

    page.get_by_role("link", name="Public page").click()
    page.goto(grid)
    room = page.get_by_role("row", name="Room 101")
    expect(room.get_by_role("link", name=book_name("Room 101", "11:00"))).to_have_count(
        1
    )
    expect(room.get_by_role("link", name=book_name("Room 101", "14:00"))).to_have_count(
        0
    )
    expect(room.get_by_role("link", name=book_name("Room 101", "16:00"))).to_have_count(
        1
    )
    expect(room.get_by_text("Closed").first).to_be_visible()


@pytest.fixture
def busy_site(berlin, day):
    """Enough on every page to check: bookings pending and confirmed, a
    closure, an event on sale with a registration."""
    manager = berlin["manager"]
    customer = make_user(full_name="Chris Customer")
    booking_create(
        actor=customer,
        space=berlin["hall"],
        start_time=at(day, 14),
        end_time=at(day, 16),
        title="Board meeting",
    )
    today = timezone.now().astimezone(BERLIN)
    for offset, hour in ((0, 18), (1, 9), (2, 11)):
        start = at(today.date() + timedelta(days=offset + 1), hour)
        booking_create(
            actor=customer,
            space=berlin["rooms"]["Room 101"],
            start_time=start,
            end_time=start + timedelta(hours=2),
            title=f"Workshop {offset + 1}",
            attendee_count=6,
        )
    closure_create(
        venue=berlin["venue"],
        actor=manager,
        start_time=at(day + timedelta(days=30), 0),
        end_time=at(day + timedelta(days=31), 0),
        reason="Maintenance",
    )
    event = event_create(
        venue=berlin["venue"],
        actor=manager,
        name="Autumn Gala",
        start_at=at(day + timedelta(days=20), 18),
        end_at=at(day + timedelta(days=20), 22),
        capacity=120,
        description="Dinner and music.",
    )
    event_transition(event=event, actor=manager, status="published")
    event_transition(event=event, actor=manager, status="on_sale")
    registration_create(event=event, actor=customer, quantity=2)
    return {**berlin, "event": event, "booking": Booking.objects.first()}


def test_every_manager_page_passes_axe_and_fits_a_phone(page, busy_site):
    venue, event = busy_site["venue"], busy_site["event"]
    room = busy_site["rooms"]["Room 101"]
    booking = Booking.objects.get(title="Board meeting")
    sign_in(page, busy_site["manager"])
    pages = {
        "manage-dashboard": "/manage/",
        "manage-venues": "/manage/venues/",
        "manage-venue-details": f"/manage/venues/{venue.id}/",
        "manage-venue-hours": f"/manage/venues/{venue.id}/hours/",
        "manage-venue-closures": f"/manage/venues/{venue.id}/closures/",
        "manage-venue-spaces": f"/manage/venues/{venue.id}/spaces/",
        "manage-space-edit": f"/manage/venues/{venue.id}/spaces/{room.id}/",
        "manage-space-new": f"/manage/venues/{venue.id}/spaces/new/",
        "manage-bookings": "/manage/bookings/",
        "manage-bookings-filtered": f"/manage/bookings/?status=pending&venue={venue.id}",
        "manage-booking-new": "/manage/bookings/new/",
        "manage-booking-cancel": f"/manage/bookings/{booking.id}/cancel/",
        "manage-events": "/manage/events/",
        "manage-event-new": "/manage/events/new/",
        "manage-event-edit": f"/manage/events/{event.id}/",
        "manage-event-registrations": f"/manage/events/{event.id}/registrations/",
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("main")).to_have_count(1)
        check_page(page, name)


def test_forms_with_errors_pass_axe_too(page, busy_site):
    venue = busy_site["venue"]
    sign_in(page, busy_site["manager"])
    page.goto(f"/manage/venues/{venue.id}/hours/")
    page.get_by_label("Monday Opens (2)", exact=True).fill("09:00")
    page.get_by_role("button", name="Save opening hours").click()
    expect(page.get_by_text("Give both times of this Monday interval.")).to_be_visible()
    check_page(page, "manage-venue-hours-error")
    page.goto("/manage/bookings/new/")
    page.get_by_label("Customer's email").fill("nobody@example.com")
    page.get_by_label("Space").select_option(
        label="Floor 1 › Room 101 (Berlin Conference Center)"
    )
    page.get_by_label("Date").fill(
        (timezone.now() + timedelta(days=5)).date().isoformat()
    )
    page.get_by_label("Start", exact=True).fill("10:00")
    page.get_by_label("End", exact=True).fill("11:00")
    page.get_by_label("Title").fill("Interview")
    page.get_by_role("button", name="Book for the customer").click()
    expect(page.get_by_text("No account has that e-mail address.")).to_be_visible()
    check_page(page, "manage-booking-new-error")


def test_the_admin_pages_pass_axe_and_a_customer_sees_a_clear_refusal(
    new_page, busy_site
):
    admin = make_user(Role.ADMIN)
    make_user(Role.MANAGER, organization=make_organization("harbour"))
    page = new_page()
    sign_in(page, admin)
    page.goto("/manage/organizations/")
    expect(
        page.get_by_role("heading", name="Organizations and managers")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Django admin").first).to_be_visible()
    check_page(page, "manage-organizations")
    page.goto("/manage/")
    check_page(page, "manage-dashboard-admin")

    customer = new_page()
    sign_in(customer, make_user())
    expect(customer.get_by_role("link", name="Dashboard")).to_have_count(0)
    customer.goto("/manage/")
    expect(customer.get_by_role("heading", name="Not allowed")).to_be_visible()
    check_page(customer, "manage-refused")
