"""Recurring bookings, the calendar feed and the reports in a real browser:
the flows by role and accessible name, every page under axe-core at desktop
and phone width."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.web.conftest import BERLIN, check_page, sign_in
from venueos.bookings.models import BookingSeries

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_repeats_a_booking_and_cancels_the_rest(page, berlin, day):
    room = berlin["rooms"]["Room 101"]
    customer = make_user(full_name="Rita Repeat")
    sign_in(page, customer)
    page.goto(f"/bookings/new/?space={room.id}")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start", exact=True).fill("09:00")
    page.get_by_label("End", exact=True).fill("10:00")
    page.get_by_label("Repeat").select_option("weekly")
    page.get_by_label("How many times").fill("3")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("3 bookings made.")).to_be_visible()
    check_page(page, "series")
    series = BookingSeries.objects.get()
    starts = sorted(b.start_time.astimezone(BERLIN) for b in series.bookings.all())
    assert [s.date() for s in starts] == [day + timedelta(weeks=n) for n in range(3)]

    page.get_by_label("From (optional)").fill((day + timedelta(weeks=1)).isoformat())
    page.get_by_role("button", name="Cancel the occurrences").click()
    expect(page.get_by_text("2 occurrences of")).to_be_visible()
    assert sorted(series.bookings.values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
        "confirmed",
    ]

    page.goto("/my/bookings/")
    expect(
        page.get_by_role("link", name="Repeats: series of Meeting in Room 101")
    ).to_have_count(3)
    feed = page.get_by_label("Your calendar link")
    first_link = feed.input_value()
    assert "/api/v1/calendar/" in first_link
    check_page(page, "my-bookings")
    page.get_by_role("button", name="Make a new link").click()
    expect(page.get_by_text("Your calendar link is new")).to_be_visible()
    assert page.get_by_label("Your calendar link").input_value() != first_link


def test_the_reports_page_passes_axe(page, berlin, day):
    sign_in(page, berlin["manager"])
    page.goto("/manage/")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Utilization")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    expect(page.get_by_role("img", name="Utilization per day, Room 101")).to_have_count(
        1
    )
    check_page(page, "manage-reports")
