"""The Content-Security-Policy in a real browser: no other site can frame a page, an injected
inline script does not run (and the watch every browser test keeps reports it), and the API's
documentation pages work under their policy with nothing loaded from another host."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.e2e.conftest import DESKTOP, _context, csp_violations


async def test_injected_inline_script_and_style_are_refused_and_reported(
    browser: Browser, live_url
):
    context = await _context(browser, DESKTOP, mobile=False)
    page = await context.new_page()
    violations = csp_violations(page)
    await page.goto(f"{live_url}/signin")
    await page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true;";
            document.body.appendChild(script);
            document.body.setAttribute("style", "background: red");
        }"""
    )
    assert await page.evaluate("window.injected === undefined")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 0, 0)"
    for _ in range(100):
        if len(violations) >= 2:
            break
        await page.wait_for_timeout(20)
    await context.close()
    assert any("script-src" in violation for violation in violations), violations
    assert any("style-src" in violation for violation in violations), violations


async def test_another_site_cannot_frame_the_pages(browser: Browser, live_url):
    """A page of another site that frames the sign-in page, a console and the storefront sees
    none of them: the browser refuses to show them in its frame."""
    context = await _context(browser, DESKTOP, mobile=False)
    page = await context.new_page()
    framed = ["/signin", "/console/signin", "/platform/signin", "/"]
    frames = "".join(f'<iframe src="{live_url}{path}"></iframe>' for path in framed)

    # A page of no site at all (about:blank) holds the frames: only the pages' own answer can
    # keep them out.
    await page.set_content(f"<html><body>{frames}</body></html>")
    children = page.main_frame.child_frames
    assert len(children) == len(framed)
    for child in children:
        # A refused frame is left empty (or on Chromium's error page), never the WeShop page.
        assert await child.locator("form, .tabbar, .console-door").count() == 0, child.url
    await context.close()


async def test_the_api_docs_work_offline_under_their_policy(desktop, live_url):
    """Swagger UI and ReDoc render the operations with every script, style and font from
    WeShop (the ``desktop`` fixture fails the test on any violation); only an image (ReDoc's
    own logo) may come from elsewhere."""
    elsewhere: list[str] = []
    desktop.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if not request.url.startswith((live_url, "data:", "blob:"))
            and request.resource_type != "image"
            else None
        ),
    )
    await desktop.goto(f"{live_url}/docs")
    await desktop.locator(".opblock").first.wait_for()
    assert await desktop.locator(".opblock").count() > 30
    await desktop.goto(f"{live_url}/redoc")
    await desktop.get_by_text("WeShop's REST API", exact=False).first.wait_for()
    await desktop.locator("[data-section-id^='operation']").first.wait_for(state="attached")
    assert elsewhere == []
