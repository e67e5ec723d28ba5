"""Storefront pages of members: my page (level and points per store) and a points ledger."""

from __future__ import annotations

from tests.members.support import add_level, make_member, merchant_url
from tests.storefront import page, shopper
from tests.support import expect


async def test_my_page_shows_levels_points_and_the_ledger(api, client) -> None:
    store_id, owner = await api.new_store("山野农场")
    await add_level(api, store_id, owner, "普通会员", 0, 100)
    await add_level(api, store_id, owner, "金卡会员", 500, 95)
    phone, headers = await shopper(api, client)
    user_id = await make_member(api, store_id, headers)
    expect(
        await client.post(
            merchant_url(store_id, f"/members/{user_id}/points-adjustments"),
            json={"delta": 300, "reason": "新人礼"},
            headers=owner,
        ),
        201,
    )
    me = await page(client, "/me")
    assert phone[:3] + "****" + phone[-4:] in me and phone not in me
    assert "山野农场" in me and "普通会员" in me and "升级为金卡会员" in me
    assert "积分 300,可抵 ¥3.00" in me.replace("，", ",")
    ledger = await page(client, f"/me/points/{store_id}")
    assert "商家调整" in ledger and "+300" in ledger


async def test_points_of_a_store_i_am_not_a_member_of_answer_404(api, client) -> None:
    store_id, _ = await api.new_store()
    await shopper(api, client)
    await page(client, f"/me/points/{store_id}", 404)
