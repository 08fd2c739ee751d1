"""Browser fixtures: a live server on the test database, headless Chromium,
axe-core and screenshots of every page (`.venueos/screenshots/`, not committed).

Browser tests skip with the reason when no Chromium can start, and fail instead
when `VENUEOS_REQUIRE_BROWSER=1` (as `.ci/run` sets it).
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import (
    PASSWORD,
    make_organization,
    make_space,
    make_user,
    make_venue,
    set_opening_hours,
)
from venueos.accounts.models import Role
from venueos.testing import browser as chromium

# Playwright's sync API runs an event loop in the test's thread, which makes
# Django refuse ORM calls there ("async context"); the tests and the server
# thread never share a connection, so the check is only noise here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".venueos" / "screenshots"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Sign-ins are throttled per client address, and every test is one client."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def browser():
    reason = chromium.browser_unavailable()
    if reason:
        if chromium.browser_required():
            pytest.fail(f"VENUEOS_REQUIRE_BROWSER is set but: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = chromium.launch(playwright)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser, live_server):
    """Pages in fresh contexts (separate cookies: separate people)."""
    contexts = []

    def make(viewport=chromium.DESKTOP):
        context = browser.new_context(
            viewport=viewport, base_url=live_server.url, locale=chromium.LOCALE
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"][:5]],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def check_page(page, name: str) -> None:
    """The checks every page gets: no serious axe violation and no horizontal
    scroll, at desktop and phone width; screenshots of both."""
    original = page.viewport_size
    for label, viewport in (("desktop", chromium.DESKTOP), ("phone", chromium.PHONE)):
        page.set_viewport_size(viewport)
        assert axe_violations(page) == [], f"{name} at {label} width"
        assert chromium.horizontal_overflow(page) <= 0, (
            f"{name} scrolls horizontally at {label} width"
        )
        chromium.screenshot(page, SCREENSHOTS / f"{name}-{label}.png")
    page.set_viewport_size(original)


def sign_in(page, user, *, next_path: str = "/") -> None:
    page.goto(f"/login/?next={next_path}")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(user.email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()


def nav(page):
    """The main navigation (links there may repeat in the page)."""
    return page.get_by_role("navigation", name="Main")


def book_name(space_name: str, hhmm: str):
    return re.compile(rf"^Book {re.escape(space_name)} at {hhmm}")


def make_berlin() -> dict:
    """A venue open 08:00-20:00 every day: Floor 1 (not bookable) with
    Room 101 and Room 102, and the Great Hall (needs approval)."""
    organization = make_organization()
    venue = make_venue(
        organization,
        name="Berlin Conference Center",
        address={
            "street": "Friedrichstraße 100",
            "postcode": "10117",
            "city": "Berlin",
            "country": "DE",
        },
        timezone="Europe/Berlin",
        booking_horizon_days=365,
    )
    set_opening_hours(venue, 8 * 60, 20 * 60)
    floor = make_space(venue, name="Floor 1", capacity=60, is_bookable=False)
    rooms = {
        name: make_space(
            venue, parent=floor, name=name, capacity=12, features=["projector"]
        )
        for name in ("Room 101", "Room 102")
    }
    hall = make_space(venue, name="Great Hall", capacity=200, requires_approval=True)
    manager = make_user(Role.MANAGER, organization=organization)
    return {"venue": venue, "rooms": rooms, "hall": hall, "manager": manager}


@pytest.fixture
def berlin(transactional_db):
    """`make_berlin()` committed, for the live server's thread to see."""
    return make_berlin()


@pytest.fixture
def berlin_db(db):
    return make_berlin()


@pytest.fixture
def day() -> date:
    """A day a few days ahead, so no cell of it is in the past."""
    return date.today() + timedelta(days=3)
