"""`make screenshots`: the README's pictures, from the demo data, in the same
headless Chromium as the browser tests.

    python -m venueos.testing.screenshots docs/img

Writes grid.png (the availability grid of the Berlin venue on a demo day),
grid-phone.png (the same at 375 px), conflict.png (a customer losing a race
for a cell: what collided and the alternatives) and booked.png (one click on
an alternative later) and dashboard.png (the manager's dashboard on the
week of the demo's first day: the approval waiting, the week's numbers).
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from venueos.testing import browser as chromium
from venueos.testing.demo_site import demo_site

BERLIN = ZoneInfo("Europe/Berlin")


def _demo():
    """The demo module, once the demo site's database is configured."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    django.setup()
    from venueos import demo

    return demo


def _sign_in(page, email: str) -> None:
    passwords = {email: password for _, email, password in _demo().DEMO_LOGINS}
    page.goto("/login/")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(passwords[email])
    form.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _berlin_grid(page, day) -> None:
    page.goto("/")
    page.get_by_role("link", name="Berlin Conference Center").first.click()
    page.goto(page.url.split("?")[0] + f"?date={day.isoformat()}")


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with demo_site() as url, sync_playwright() as playwright:
        demo = _demo()
        first, busiest = demo.demo_days(BERLIN, 2)
        browser = chromium.launch(playwright)

        def context(viewport=chromium.DESKTOP):
            return browser.new_context(
                viewport=viewport, base_url=url, locale=chromium.LOCALE
            )

        customer = context().new_page()
        _sign_in(customer, demo.CUSTOMER_EMAIL)
        _berlin_grid(customer, busiest)
        written.append(chromium.screenshot(customer, out / "grid.png", full_page=False))
        phone = context(chromium.PHONE).new_page()
        _berlin_grid(phone, busiest)
        written.append(
            chromium.screenshot(phone, out / "grid-phone.png", full_page=False)
        )

        # The customer opens a free cell; the manager books it first.
        cell = re.compile(r"^Book Room 102 at 14:00")
        _berlin_grid(customer, first)
        customer.get_by_role("link", name=cell).click()
        customer.get_by_label("Title").fill("Sprint review")
        customer.get_by_label("Attendees").fill("6")
        manager = context().new_page()
        _sign_in(manager, demo.MANAGER_EMAIL)
        _berlin_grid(manager, first)
        manager.get_by_role("link", name=cell).click()
        manager.get_by_role("button", name="Book", exact=True).click()
        manager.get_by_text("Confirmed", exact=True).wait_for()
        customer.get_by_role("button", name="Book", exact=True).click()
        customer.get_by_role("heading", name="That time was just taken").wait_for()
        written.append(
            chromium.screenshot(customer, out / "conflict.png", full_page=False)
        )
        customer.get_by_role("button", name=re.compile(r"^Book ")).first.click()
        customer.get_by_text("Confirmed", exact=True).wait_for()
        written.append(
            chromium.screenshot(customer, out / "booked.png", full_page=False)
        )

        def monday(day):
            return day - timedelta(days=day.weekday())

        weeks_ahead = (monday(first) - monday(datetime.now(BERLIN).date())).days // 7
        manager.goto(f"/manage/?week={weeks_ahead}")
        manager.get_by_role("heading", name="Waiting for approval").wait_for()
        written.append(
            chromium.screenshot(manager, out / "dashboard.png", full_page=False)
        )
        browser.close()
    return written


def main(argv: list[str]) -> int:
    reason = chromium.browser_unavailable()
    if reason:
        print(f"make screenshots: {reason}", file=sys.stderr)
        return 1
    for path in take(Path(argv[0] if argv else "docs/img")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
