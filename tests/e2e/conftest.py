"""Browser fixtures: Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python.

Never a downloaded browser: ``executable_path`` points at the system's Chromium, installed by
``apt-get install -y chromium`` (``.ci/run`` does it). The app is served over loopback by the
``live_url`` fixture, in the test's own event loop.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = os.environ.get("WESHOP_CHROMIUM", "/usr/bin/chromium")
# The machine has no internet: without these, Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session, before any page
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


async def _context(browser: Browser, viewport: dict, *, mobile: bool) -> BrowserContext:
    context = await browser.new_context(
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
        locale="zh-CN",
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page (390 × 844), as a shopper in a chat app's browser sees it."""
    context = await _context(browser, PHONE, mobile=True)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[Page]:
    """A desk-sized page (1366 × 900), as a shop operator sees the console."""
    context = await _context(browser, DESKTOP, mobile=False)
    yield await context.new_page()
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    """Saves a picture of the page for the README (docs/screenshots/<name>.png) when
    WESHOP_SCREENSHOTS is set, so that an ordinary test run leaves the work tree alone:
    ``WESHOP_SCREENSHOTS=1 ./run-tests tests/e2e`` makes them anew."""
    if not os.environ.get("WESHOP_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=False)
