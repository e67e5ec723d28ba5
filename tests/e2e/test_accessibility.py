"""Accessibility basics, checked in Chromium on the pages people use most: every input has a
label, every image a text alternative, every tap target on the phone is at least 40 px, and
the console can be worked with the keyboard alone."""

from __future__ import annotations

from playwright.async_api import Page

from tests.e2e.test_journeys import shopper_signs_in, staff_sign_in, tea_shop
from tests.support import expect, new_phone

# Inputs without a label (by <label for>, wrapping, aria-label or aria-labelledby), images
# without alt, and visible tap targets smaller than 40 px in either direction.
AUDIT = """
() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  const named = (el) => el.labels?.length || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby') || el.getAttribute('title');
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && !named(el)).map((el) => el.outerHTML.slice(0, 120));
  const noAlt = [...document.querySelectorAll('img')]
    .filter((el) => !el.hasAttribute('alt')).map((el) => el.outerHTML.slice(0, 120));
  const small = [...document.querySelectorAll('a, button, [role=button], summary')]
    .filter(visible).filter((el) => !el.closest('p, li.sum, small, .crumbs, td'))
    .filter((el) => { const b = el.getBoundingClientRect(); return b.height < 40 || b.width < 40; })
    .map((el) => `${el.tagName} "${el.textContent.trim().slice(0, 30)}" `
      + `${Math.round(el.getBoundingClientRect().width)}x`
      + `${Math.round(el.getBoundingClientRect().height)}`);
  return {unlabelled, noAlt, small};
}
"""


async def audit(page: Page, url: str, *, tap_targets: bool) -> dict[str, list[str]]:
    await page.goto(url)
    found = await page.evaluate(AUDIT)
    if not tap_targets:
        found["small"] = []
    return {kind: items for kind, items in found.items() if items}


async def test_the_storefronts_pages_pass_the_basics_on_a_phone(api, client, phone, live_url):
    store_id, _staff, _owner, tea = await tea_shop(api, client)
    shopper = new_phone()
    await shopper_signs_in(phone, live_url, shopper, "/me")
    headers = await api.sign_in(shopper)
    await api.add_address(headers)
    sku = tea["skus"][0]["id"]
    expect(
        await client.post("/api/v1/me/cart/items", json={"sku_id": sku, "quantity": 1},
                          headers=headers),
        201,
    )  # fmt: skip
    favourite = {"product_id": tea["id"]}
    assert (await client.post("/api/v1/me/favourites", json=favourite, headers=headers)).is_success
    pages = ["/", f"/s/{store_id}", f"/p/{tea['id']}", "/search?q=龙井", "/cart", "/checkout",
             "/coupons", "/me", "/me/orders", "/me/addresses", "/me/addresses/new",
             "/me/favourites", "/me/history", "/open-store"]  # fmt: skip
    problems = {path: await audit(phone, live_url + path, tap_targets=True) for path in pages}
    assert not {path: found for path, found in problems.items() if found}


async def test_the_console_passes_the_basics_and_works_with_the_keyboard(
    api, client, desktop, live_url
):
    store_id, staff_phone, _owner, tea = await tea_shop(api, client)
    await staff_sign_in(desktop, live_url, staff_phone)
    base = f"{live_url}/console/stores/{store_id}"
    pages = ["", "/products", "/categories", "/products/new", f"/products/{tea['id']}",
             f"/products/{tea['id']}/skus", f"/products/{tea['id']}/specs", "/product-imports",
             "/stock", "/orders", "/coupons/new",
             "/reductions/new", "/members", "/shipping/new", "/finance", "/settings",
             "/staff"]  # fmt: skip
    problems = {path: await audit(desktop, base + path, tap_targets=False) for path in pages}
    assert not {path: found for path, found in problems.items() if found}

    # Keyboard only: from the navigation to the coupon form, fill it and submit with Enter.
    await desktop.goto(f"{base}/coupons/new")
    await desktop.keyboard.press("Tab")
    focused = []
    for _ in range(60):
        focused.append(
            await desktop.evaluate("document.activeElement.id || document.activeElement.tagName")
        )
        if focused[-1] == "f-name":
            break
        await desktop.keyboard.press("Tab")
    assert focused[-1] == "f-name", focused
    await desktop.keyboard.type("键盘券")
    await desktop.fill("#f-amount_off_fen", "5")
    await desktop.fill("#f-threshold_fen", "50")
    await desktop.check("input[name=validity][value=days]")
    await desktop.fill("#f-valid_days_after_claim", "3")
    await desktop.fill("#f-total_quantity", "10")
    await desktop.fill("#f-per_shopper_limit", "1")
    await desktop.focus("#f-per_shopper_limit")
    await desktop.keyboard.press("Enter")
    await desktop.wait_for_url("**/coupons/*?done=created")
    assert "键盘券" in await desktop.locator("main").inner_text()
