"""A customer in a real browser: find free time, book it, lose a race and take
an alternative, move and cancel. Elements are found by role and accessible
name, as assistive technology finds them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.web.conftest import BERLIN, book_name, check_page
from venueos.bookings.models import Booking, BookingStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_customer_books_from_the_home_page(page, berlin, day):
    page.goto("/")
    page.get_by_label("Venue or city").fill("Berlin")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("People").fill("4")
    page.get_by_role("button", name="Search").click()
    check_page(page, "home-search-results")

    page.get_by_role("link", name=book_name("Room 101", "10:00")).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Name").fill("Nora New")
    page.get_by_label("Email").fill("nora@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Book Room 101")).to_be_visible()
    expect(page.get_by_label("Start", exact=True)).to_have_value("10:00")
    expect(page.get_by_label("End", exact=True)).to_have_value("11:00")
    expect(page.get_by_label("Attendees")).to_have_value("4")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    booking = Booking.objects.get()
    assert booking.user.email == "nora@example.com"
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.attendee_count == 4
    assert booking.space == berlin["rooms"]["Room 101"]
    local = booking.start_time.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (day, 10, 0)
