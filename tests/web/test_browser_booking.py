"""A customer in a real browser: find free time, book it, lose a race and take
an alternative, move and cancel. Elements are found by role and accessible
name, as assistive technology finds them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.web.conftest import BERLIN, book_name, check_page, nav, sign_in
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
    sign_up = page.get_by_role("form", name="New here? Create an account")
    sign_up.get_by_label("Name").fill("Nora New")
    sign_up.get_by_label("Email").fill("nora@example.com")
    sign_up.get_by_label("Password").fill(PASSWORD)
    sign_up.get_by_role("button", name="Create account").click()

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


def _grid_url(venue, day) -> str:
    return f"/venues/{venue.id}/?date={day.isoformat()}"


def test_the_loser_of_a_race_sees_what_collided_and_books_an_alternative(
    new_page, berlin, day
):
    first, second = make_user(full_name="Fay First"), make_user(full_name="Sid Second")
    venue = berlin["venue"]
    mine, theirs = new_page(), new_page()
    for page, user in ((mine, first), (theirs, second)):
        sign_in(page, user)
        page.goto(_grid_url(venue, day))
    # Both look at the same free cell; the first person books it.
    mine.get_by_role("link", name=book_name("Room 101", "10:00")).click()
    mine.get_by_role("button", name="Book", exact=True).click()
    expect(mine.get_by_text("Confirmed", exact=True)).to_be_visible()

    theirs.get_by_role("link", name=book_name("Room 101", "10:00")).click()
    theirs.get_by_label("Title").fill("Sid's workshop")
    theirs.get_by_role("button", name="Book", exact=True).click()
    expect(
        theirs.get_by_role("heading", name="That time was just taken")
    ).to_be_visible()
    expect(theirs.get_by_text("Room 101, 10:00–11:00")).to_be_visible()
    check_page(theirs, "booking-conflict")
    alternatives = theirs.get_by_role("button", name=re.compile(r"^Book "))
    assert alternatives.count() >= 2
    # One click on the first alternative books it, with the title kept.
    label = alternatives.first.inner_text()
    alternatives.first.click()
    expect(theirs.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(theirs.get_by_role("heading", name="Sid's workshop")).to_be_visible()

    winner = Booking.objects.get(user=first)
    loser = Booking.objects.get(user=second)
    assert winner.space == berlin["rooms"]["Room 101"]
    assert (loser.status, loser.title) == (BookingStatus.CONFIRMED, "Sid's workshop")
    assert loser.start_time >= winner.end_time or loser.space != winner.space
    local = loser.start_time.astimezone(BERLIN).strftime("%H:%M")
    assert f"{loser.space.name} at {local}" in label


def test_a_customer_moves_a_booking_then_cancels_it(page, berlin, day):
    customer = make_user()
    sign_in(page, customer)
    page.goto(_grid_url(berlin["venue"], day))
    page.get_by_role("link", name=book_name("Room 102", "14:00")).click()
    page.get_by_label("Title").fill("Quarterly review")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    check_page(page, "booking-confirmed")

    nav(page).get_by_role("link", name="My bookings").click()
    check_page(page, "my-bookings")
    page.get_by_role("link", name="Change Quarterly review").click()
    check_page(page, "booking-change")
    page.get_by_label("Space").select_option(label="Room 101 (up to 12)")
    page.get_by_label("Start", exact=True).fill("16:00")
    page.get_by_label("End", exact=True).fill("17:30")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your booking was changed.")).to_be_visible()
    booking = Booking.objects.get()
    local = booking.start_time.astimezone(BERLIN), booking.end_time.astimezone(BERLIN)
    assert booking.space == berlin["rooms"]["Room 101"]
    assert [t.strftime("%H:%M") for t in local] == ["16:00", "17:30"]
    history = page.get_by_role("region", name="History").get_by_role("listitem")
    expect(history.nth(1)).to_contain_text("Changed: space, time by")

    # The grid shows the moved booking as busy and the old time free again.
    page.goto(_grid_url(berlin["venue"], day))
    expect(
        page.get_by_role("link", name=book_name("Room 102", "14:00"))
    ).to_be_visible()
    expect(page.get_by_role("link", name=book_name("Room 101", "16:00"))).to_have_count(
        0
    )

    nav(page).get_by_role("link", name="My bookings").click()
    page.get_by_role("link", name="Cancel Quarterly review").click()
    check_page(page, "booking-cancel")
    page.get_by_label("Reason (optional)").fill("Moved online")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("“Quarterly review” is cancelled.")).to_be_visible()
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == (
        BookingStatus.CANCELLED,
        "Moved online",
    )
    page.goto(_grid_url(berlin["venue"], day))
    expect(
        page.get_by_role("link", name=book_name("Room 101", "16:00"))
    ).to_be_visible()


def test_a_booking_of_a_space_that_needs_approval_waits_for_it(page, berlin, day):
    sign_in(page, make_user())
    page.goto(_grid_url(berlin["venue"], day))
    page.get_by_role("link", name=book_name("Great Hall", "09:00")).click()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Waiting for approval", exact=True)).to_be_visible()
    check_page(page, "booking-pending")
    assert Booking.objects.get().status == BookingStatus.PENDING
