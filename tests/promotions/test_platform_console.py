"""Platform coupons in the platform console: made with every term, paused, resumed, ended,
with their figures; the platform's coupons, not a store's."""

from __future__ import annotations

from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in

COUPON = {
    "name": "平台新人券",
    "kind": "no_threshold",
    "amount_off_fen": "5",
    "validity": "days",
    "valid_days_after_claim": "7",
    "total_quantity": "1000",
    "per_shopper_limit": "1",
}


async def test_an_operator_runs_a_platform_coupon(api, client):
    await operator_signs_in(api, client)
    assert "新建优惠券" in await page(client, "/platform/coupons")
    refused = await post(client, "/platform/coupons/new", {**COUPON, "total_quantity": ""}, 422)
    assert 'class="field-error"' in refused.text
    created = await post(client, "/platform/coupons/new", COUPON)
    detail_path = created.headers["location"].split("?")[0]
    shown = await page(client, detail_path)
    assert "平台新人券" in shown and "¥5.00" in shown

    centre = (await client.get("/api/v1/shop/coupons")).json()["items"]
    assert [coupon["name"] for coupon in centre] == ["平台新人券"]

    await post(client, f"{detail_path}/pause")
    assert (await client.get("/api/v1/shop/coupons")).json()["items"] == []
    await post(client, f"{detail_path}/resume")
    await post(client, f"{detail_path}/end")
    again = await post(client, f"{detail_path}/resume", status=409)
    assert "illegal_transition" in again.text or "template" in again.text
    assert "平台新人券" in await page(client, "/platform/coupons", status="ended")
