"""Storefront pages of promotions: the coupon centre (claiming) and my coupons."""

from __future__ import annotations

import re

from tests.promotions.conftest import create_platform_template, create_template
from tests.storefront import HTML, csrf_token, page, post, sign_in_page


async def test_the_coupon_centre_claims_into_my_coupons(api, client) -> None:
    store_id, owner = await api.new_store("山野农场")
    template = await create_template(api, store_id, owner, name="满100减10")
    await create_platform_template(api, await api.operator(), name="平台满100减20")
    mall = await page(client, "/coupons")
    assert "平台满100减20" in mall and "满100减10" not in mall
    centre = await page(client, "/coupons", store_id=store_id)
    assert "满100减10" in centre and "¥10.00" in centre and "满 ¥100.00 可用" in centre

    token = await csrf_token(client)
    signed_out = await client.post(
        "/coupons/claim",
        data={"csrf_token": token, "template_id": template["id"], "store_id": store_id},
        headers=HTML,
    )
    assert signed_out.headers["location"] == f"/signin?next=/coupons%3Fstore_id%3D{store_id}"

    await sign_in_page(client)
    claimed = await post(
        client, "/coupons/claim", {"template_id": template["id"], "store_id": store_id}
    )
    assert "领取成功" in await page(client, claimed.headers["location"])
    again = await post(
        client, "/coupons/claim", {"template_id": template["id"], "store_id": store_id}
    )
    assert "您已达到该优惠券的领取上限" in await page(client, again.headers["location"])
    wallet = await page(client, "/me/coupons")
    assert "满100减10" in wallet
    assert re.search(r'href="/me/coupons\?status=available" aria-current="page"', wallet)
    assert "满100减10" not in await page(client, "/me/coupons", status="used")


async def test_a_sold_out_coupon_is_said_in_words(api, client) -> None:
    store_id, owner = await api.new_store()
    template = await create_template(api, store_id, owner, total_quantity=1)
    await sign_in_page(client)
    await post(client, "/coupons/claim", {"template_id": template["id"]})
    client.cookies.delete("weshop_session")
    await sign_in_page(client)
    refused = await post(client, "/coupons/claim", {"template_id": template["id"]})
    assert "该优惠券已被领完" in await page(client, refused.headers["location"])


async def test_an_unknown_coupon_is_refused_in_words(client) -> None:
    await sign_in_page(client)
    refused = await post(client, "/coupons/claim", {"template_id": "999999"})
    assert "找不到该页面" in await page(client, refused.headers["location"])
