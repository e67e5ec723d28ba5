"""Browser fixtures: Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python.

Never a downloaded browser: ``executable_path`` points at the system's Chromium, installed by
``apt-get install -y chromium`` (``.ci/run`` does it). The app is served over loopback by the
``live_url`` fixture, in the test's own event loop.

Every page the phone and desktop fixtures walk is watched for Content-Security-Policy
violations (an inline script, a style attribute, a resource from a host the policy does not
allow): the browser's report of one fails the test, so a page that works only without the
policy cannot ship.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

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
# WeChat 8.0.50's in-app browser on Android, as it introduces itself.
WECHAT_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.188 Mobile Safari/537.36 XWEB/1260117 "
    "MMWEBSDK/20240501 MMWEBID/1234 MicroMessenger/8.0.50.2701(0x28003252) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
DESKTOP = {"width": 1366, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CSP_VIOLATION = "CSP violation"
# Runs before the page's own scripts on every page of the context (Playwright injects it
# outside the page's policy) and says each violation on the console.
_REPORT_CSP_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error(`{CSP_VIOLATION}: ${{event.effectiveDirective}} refused `
    + `${{event.blockedURI || "inline"}} on ${{location.pathname}}`);
}});
"""


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


async def _context(
    browser: Browser, viewport: dict, *, mobile: bool, user_agent: str | None = None
) -> BrowserContext:
    context = await browser.new_context(
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
        locale="zh-CN",
        user_agent=user_agent,
    )
    context.set_default_timeout(15_000)
    await context.add_init_script(_REPORT_CSP_VIOLATIONS)
    return context


def csp_violations(page: Page) -> list[str]:
    """The violations of the Content-Security-Policy that the page reports from now on: ours
    (see ``_REPORT_CSP_VIOLATIONS``) and Chromium's own console message for each."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if CSP_VIOLATION in message.text or "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    return found


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page (390 × 844), as a shopper in a chat app's browser sees it."""
    context = await _context(browser, PHONE, mobile=True)
    page = await context.new_page()
    violations = csp_violations(page)
    yield page
    await context.close()
    assert not violations, f"the pages broke their Content-Security-Policy: {violations}"


@pytest.fixture
async def wechat_phone(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page in WeChat's browser, as WeChat's user agent says (``MicroMessenger``):
    what a shopper sees after tapping a link in a chat."""
    context = await _context(browser, PHONE, mobile=True, user_agent=WECHAT_USER_AGENT)
    page = await context.new_page()
    violations = csp_violations(page)
    yield page
    await context.close()
    assert not violations, f"the pages broke their Content-Security-Policy: {violations}"


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[Page]:
    """A desk-sized page (1366 × 900), as a shop operator sees the console."""
    context = await _context(browser, DESKTOP, mobile=False)
    page = await context.new_page()
    violations = csp_violations(page)
    yield page
    await context.close()
    assert not violations, f"the pages broke their Content-Security-Policy: {violations}"


async def screenshot(page: Page, name: str) -> None:
    """Saves a picture of the page for the README (docs/screenshots/<name>.png) when
    WESHOP_SCREENSHOTS is set, so that an ordinary test run leaves the work tree alone:
    ``WESHOP_SCREENSHOTS=1 ./run-tests tests/e2e`` makes them anew."""
    if not os.environ.get("WESHOP_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=False)
