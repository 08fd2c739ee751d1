"""Headless Chromium for the browser tests, `make screenshots` and the browser
benchmark: Debian's `chromium` driven by Playwright (Playwright's own browser
download cannot run here, so `executable_path` points at the system one).

`browser_unavailable()` says why no browser can start (None when one can);
the tests skip with that reason, or fail when `VENUEOS_REQUIRE_BROWSER=1`
(CI), so a machine without Chromium never passes them silently.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# 24-hour times in the browser's own widgets, as on the pages.
LOCALE = "en-GB"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("VENUEOS_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (make install installs the dev extras)."
    if chromium_path() is None:
        return (
            "No Chromium found (install Debian's 'chromium' package, or set "
            "VENUEOS_CHROMIUM to its path)."
        )
    return None


def browser_required() -> bool:
    return os.environ.get("VENUEOS_REQUIRE_BROWSER", "") in {"1", "true", "yes"}


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no
    horizontal scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth,"
        " document.body.scrollWidth) - window.innerWidth"
    )


def screenshot(page, path: Path, *, full_page: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
