"""The coupon centre says what the shopper can do with each coupon: 立即领取, 已领取 with
去使用 once they hold their limit, 已抢光 when all are claimed."""

from __future__ import annotations

import httpx

from tests.promotions.conftest import create_template
from tests.storefront import page, post, sign_in_page


def card(html: str, name: str) -> str:
    """The coupon's card on the page."""
    cards = [part for part in html.split('<div class="coupon')[1:] if name in part]
    assert len(cards) == 1, html[:3000]
    return cards[0]


async def test_held_and_sold_out_coupons_say_so(api, client, app) -> None:
    store_id, owner = await api.new_store("山野农场")
    product = await api.create_product(store_id, owner, title="野生蜂蜜")
    one_left = await create_template(api, store_id, owner, name="限量一张", total_quantity=1)
    for_honey = await create_template(
        api,
        store_id,
        owner,
        name="蜂蜜专享",
        scope={"kind": "products", "product_ids": [product["id"]]},
    )
    await sign_in_page(client)
    for template in (one_left, for_honey):
        await post(client, "/coupons/claim", {"template_id": template["id"], "store_id": store_id})
    mine = await page(client, "/coupons", store_id=store_id)
    held = card(mine, "蜂蜜专享")
    assert "已领取" in held and f'href="/p/{product["id"]}">去使用' in held
    assert "立即领取" not in held
    assert "已领取" in card(mine, "限量一张")  # held by me, though none are left

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as other:
        await sign_in_page(other)
        theirs = await page(other, "/coupons", store_id=store_id)
    gone = card(theirs, "限量一张")
    assert "已抢光" in gone and "立即领取" not in gone
    assert "立即领取" in card(theirs, "蜂蜜专享")
