"""The live pages in a real browser against a real `venueos serve` (the stream
is served by the ASGI app, which Django's live_server does not run): one
person books, another person's grid changes without a reload; an event's
places left follow sales; a page whose stream dropped catches up."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.bookings.helpers import at
from tests.conftest import make_user
from tests.events.helpers import make_event
from tests.servers import database_url, serve
from tests.web.conftest import book_name, sign_in
from venueos.bookings.services import booking_create
from venueos.events.services import registration_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def db_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return database_url()


@pytest.fixture(scope="module")
def stream_server(db_url):
    with serve(db_url, workers=2) as base:
        yield base


# Generous: only a broken page waits this long.
WAIT_MS = 20_000
# Set before the change: still there afterwards means the page never reloaded.
MARK = "() => { window.__stillTheSamePage = true; }"
SAME_PAGE = "() => window.__stillTheSamePage === true"


@pytest.fixture
def contexts(browser, stream_server):
    opened = []

    def make(base_url=stream_server):
        context = browser.new_context(base_url=base_url, locale="en-GB")
        context.set_default_timeout(20_000)
        opened.append(context)
        return context.new_page()

    yield make
    for context in opened:
        context.close()


def _cell(page, room, day, hhmm):
    start = at(day, hhmm)
    return page.locator(f"#cell-{room.id}-{int(start.timestamp())}")


def test_a_booking_in_one_browser_turns_the_cell_busy_in_another(
    contexts,
    berlin,
    day,
):
    venue, room = berlin["venue"], berlin["rooms"]["Room 101"]
    grid = f"/venues/{venue.id}/?date={day.isoformat()}"
    watcher, booker = contexts(), contexts()
    watcher.goto(grid)
    expect(_cell(watcher, room, day, "10:00")).to_have_attribute("data-state", "free")
    watcher.evaluate(MARK)

    sign_in(booker, make_user(full_name="Bo Booker"))
    booker.goto(grid)
    booker.get_by_role("link", name=book_name("Room 101", "10:00")).click()
    booker.get_by_role("button", name="Book", exact=True).click()
    expect(booker.get_by_text("Confirmed", exact=True)).to_be_visible()

    expect(_cell(watcher, room, day, "10:00")).to_have_attribute(
        "data-state", "busy", timeout=WAIT_MS
    )
    expect(
        watcher.get_by_role("link", name=book_name("Room 101", "10:00"))
    ).to_have_count(0)
    assert watcher.evaluate(SAME_PAGE)
    # Neighbours are untouched: the next hour and the room next door.
    expect(_cell(watcher, room, day, "11:00")).to_have_attribute("data-state", "free")
    expect(_cell(watcher, berlin["rooms"]["Room 102"], day, "10:00")).to_have_attribute(
        "data-state", "free"
    )


def test_places_left_follow_sales_without_a_reload(contexts, berlin):
    event = make_event(berlin["venue"], capacity=5)
    page = contexts()
    page.goto(f"/events/{event.id}/")
    places = page.locator("#places-left")
    expect(places).to_have_text("5 of 5 left")
    page.evaluate(MARK)
    registration_create(event=event, actor=make_user(), quantity=3)
    expect(places).to_have_text("2 of 5 left", timeout=WAIT_MS)
    registration_create(event=event, actor=make_user(), quantity=2)
    expect(places).to_have_text("Sold out", timeout=WAIT_MS)
    assert page.evaluate(SAME_PAGE)


def test_a_page_whose_stream_dropped_catches_up_when_it_comes_back(
    browser,
    db_url,
    berlin,
    day,
):
    """The server goes away, a booking commits meanwhile, a server comes back
    on the same port: the browser reconnects with Last-Event-ID, gets the
    missed change replayed and the grid shows it, still without a reload."""
    venue, room = berlin["venue"], berlin["rooms"]["Room 102"]
    with serve(db_url, workers=1) as first:
        context = browser.new_context(base_url=first, locale="en-GB")
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.goto(f"/venues/{venue.id}/?date={day.isoformat()}")
        expect(_cell(page, room, day, "14:00")).to_have_attribute("data-state", "free")
        page.evaluate(MARK)
        port = int(first.rsplit(":", 1)[1])
    try:
        booking_create(
            actor=berlin["manager"],
            space=room,
            start_time=at(day, "14:00"),
            end_time=at(day, "15:00"),
            title="While you were away",
        )
        with serve(db_url, workers=1, port=port):
            expect(_cell(page, room, day, "14:00")).to_have_attribute(
                "data-state", "busy", timeout=WAIT_MS
            )
            assert page.evaluate(SAME_PAGE)
    finally:
        context.close()


def test_the_dashboard_feed_lists_changes_as_they_happen(contexts, berlin, day):
    """The managers' dashboard follows its organization's stream through the
    hook, templates/realtime/_live_feed.html."""
    room = berlin["rooms"]["Room 101"]
    page = contexts()
    sign_in(page, berlin["manager"], next_path="/manage/")
    feed = page.get_by_role("region", name="Live changes").get_by_role("listitem")
    expect(feed).to_have_text(["Changes appear here as they happen."])
    page.evaluate(MARK)
    booking = booking_create(
        actor=make_user(),
        space=room,
        start_time=at(day, "16:00"),
        end_time=at(day, "17:00"),
        title="Not shown in the feed",
    )
    link = page.get_by_role("link", name="Booking made (confirmed)")
    expect(link).to_have_attribute("href", f"/bookings/{booking.pk}/", timeout=WAIT_MS)
    expect(feed.first).to_contain_text("16:00")
    expect(page.get_by_text("Not shown in the feed")).to_have_count(0)
    assert page.evaluate(SAME_PAGE)
