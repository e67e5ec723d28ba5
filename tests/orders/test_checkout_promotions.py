"""Checkout with the shopper's promotions: the preview quote, coupons locked, used and given
back with their order, points spent and refunded, shipping by template, and a price
snapshot that never changes after placement."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.logistics.support import create_template as create_shipping_template
from tests.members.support import make_member, merchant_url
from tests.orders.conftest import Shop, open_shop
from tests.promotions.conftest import (
    WALLET,
    claim,
    create_platform_template,
    create_template,
    reductions_url,
)
from tests.support import Api, Headers, expect
from weshop.core.clock import utcnow
from weshop.members.models import Membership
from weshop.orders.schemas import MAX_POINTS
from weshop.promotions.models import ShopperCoupon

QUOTE = "/api/v1/me/checkout/quote"
ORDERS = "/api/v1/me/orders"


async def coupon_of(api: Api, shopper: Headers, template_id: int) -> int:
    return expect(await claim(api.client, shopper, template_id), 201)["id"]


async def coupon_row(runtime, coupon_id: int) -> ShopperCoupon:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(ShopperCoupon).where(ShopperCoupon.id == coupon_id))


async def grant_points(api: Api, shop: Shop, user_id: int, points: int, reason: str) -> None:
    expect(
        await api.client.post(
            merchant_url(shop.store["id"], f"/members/{user_id}/points-adjustments"),
            json={"delta": points, "reason": reason},
            headers=shop.owner,
        ),
        201,
    )


async def checkout(api: Api, shop: Shop, quantity: int = 1, **extra) -> httpx.Response:
    body = {
        "address_id": shop.address["id"],
        "items": [{"sku_id": shop.sku_id, "quantity": quantity}],
        **extra,
    }
    return await api.client.post(ORDERS, json=body, headers=shop.shopper)


async def add_reduction(api: Api, shop: Shop) -> dict:
    body = {
        "name": "满100减10",
        "kind": "amount",
        "tiers": [{"threshold_fen": 10000, "amount_off_fen": 1000}],
    }
    return expect(
        await api.client.post(reductions_url(shop.store["id"]), json=body, headers=shop.owner),
        201,
    )


async def test_the_preview_names_each_discount_and_the_order_keeps_exactly_that_quote(api):
    shop = await open_shop(api, price_fen=6000)
    await add_reduction(api, shop)
    template = await create_template(api, shop.store["id"], shop.owner, name="满100减15")
    small = await create_template(
        api,
        shop.store["id"],
        shop.owner,
        name="满500减50",
        threshold_fen=50000,
        amount_off_fen=5000,
    )
    coupon_id = await coupon_of(api, shop.shopper, template["id"])
    unusable_id = await coupon_of(api, shop.shopper, small["id"])

    body = {"address_id": shop.address["id"], "items": [{"sku_id": shop.sku_id, "quantity": 2}]}
    quote = expect(await api.client.post(QUOTE, json=body, headers=shop.shopper), 200)
    assert quote["subtotal_fen"] == 12000
    kinds = [(p["kind"], p["label"], p["amount_fen"]) for p in quote["promotions"]]
    assert ("full_reduction", "满100减10", -1000) in kinds
    assert ("coupon", "满100减15", -1000) in kinds
    verdicts = {v["coupon_id"]: v for v in quote["coupons"]}
    assert verdicts[coupon_id]["applied"] is True
    assert verdicts[unusable_id]["reason"] == "threshold_not_met"
    assert quote["payable_fen"] == 12000 - 2000

    placed = expect(await api.client.post(ORDERS, json=body, headers=shop.shopper), 201)
    order = placed["orders"][0]
    assert order["payable_fen"] == quote["payable_fen"]
    assert order["price_breakdown"] == quote
    assert sum(line["payable_fen"] for line in order["lines"]) == order["payable_fen"]
    locked = await coupon_row(api.runtime, coupon_id)
    assert (locked.status, locked.order_id, locked.discount_fen) == ("locked", order["id"], 1000)

    # The coupon is locked: the next preview no longer sees it, and choosing it is a 409.
    again = expect(await api.client.post(QUOTE, json=body, headers=shop.shopper), 200)
    assert coupon_id not in {v["coupon_id"] for v in again["coupons"]}
    taken = await checkout(api, shop, 2, coupon_ids=[coupon_id])
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "coupon_unavailable"
    unusable = await checkout(api, shop, 2, coupon_ids=[unusable_id])
    assert unusable.status_code == 422
    assert unusable.json()["error"]["code"] == "coupon_not_usable"


async def test_the_price_snapshot_never_changes_after_placement(api):
    shop = await open_shop(api, price_fen=6000)
    reduction = await add_reduction(api, shop)
    template = await create_template(api, shop.store["id"], shop.owner)
    await coupon_of(api, shop.shopper, template["id"])
    order = expect(await checkout(api, shop, 2), 201)["orders"][0]
    before = await api.order(shop.shopper, order["id"])

    store_id = shop.store["id"]
    product_url = f"/api/v1/merchant/stores/{store_id}/products/{shop.product['id']}"
    sku = shop.product["skus"][0]
    expect(
        await api.client.patch(
            f"{product_url}/skus/{sku['id']}", json={"price_fen": 100}, headers=shop.owner
        ),
        200,
    )
    expect(
        await api.client.post(
            reductions_url(store_id, f"/{reduction['id']}/pause"), headers=shop.owner
        ),
        200,
    )
    templates = f"/api/v1/merchant/stores/{store_id}/coupon-templates/{template['id']}"
    expect(await api.client.post(f"{templates}/end", headers=shop.owner), 200)

    after = await api.order(shop.shopper, order["id"])
    for field in ("price_breakdown", "lines", "payable_fen", "discount_fen", "subtotal_fen"):
        assert after[field] == before[field], field
    fresh = expect(
        await api.client.post(
            QUOTE,
            json={"items": [{"sku_id": sku["id"], "quantity": 2}]},
            headers=shop.shopper,
        ),
        200,
    )
    assert fresh["payable_fen"] == 200


async def test_one_coupon_in_five_concurrent_checkouts_is_used_by_exactly_one(
    api, runtime, live_url
):
    shop = await open_shop(api, price_fen=3000, stock=20)
    template = await create_template(
        api,
        shop.store["id"],
        shop.owner,
        name="无门槛5元",
        kind="no_threshold",
        threshold_fen=None,
        amount_off_fen=500,
    )
    coupon_id = await coupon_of(api, shop.shopper, template["id"])
    body = {
        "address_id": shop.address["id"],
        "items": [{"sku_id": shop.sku_id, "quantity": 1}],
        "coupon_ids": [coupon_id],
    }
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        answers = await asyncio.gather(
            *(http.post(ORDERS, json=body, headers=shop.shopper) for _ in range(5))
        )
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 4}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "coupon_unavailable"
    }
    winner = next(a.json() for a in answers if a.status_code == 201)
    assert winner["payable_fen"] == 2500
    row = await coupon_row(runtime, coupon_id)
    assert (row.status, row.order_id) == ("locked", winner["orders"][0]["id"])
    # Without a choice, the next checkout simply prices without the coupon: never below zero.
    plain = expect(await checkout(api, shop), 201)
    assert plain["payable_fen"] == 3000


async def test_a_cancelled_order_gives_its_coupon_and_points_back_once(api, runner):
    shop = await open_shop(api, price_fen=5000)
    store_id = shop.store["id"]
    template = await create_template(
        api, store_id, shop.owner, kind="no_threshold", threshold_fen=None, amount_off_fen=500
    )
    coupon_id = await coupon_of(api, shop.shopper, template["id"])
    user_id = await make_member(api, store_id, shop.shopper)
    await grant_points(api, shop, user_id, 1000, "开业赠送")
    placed = expect(await checkout(api, shop, points=[{"store_id": store_id, "points": 800}]), 201)
    order = placed["orders"][0]
    store_total = order["price_breakdown"]["stores"][0]
    # Points may pay at most half of the goods (the default share): 2250 fen of 4500.
    assert store_total["points_used"] == 800
    assert order["payable_fen"] == 5000 - 500 - 800
    assert await points_balance(api.runtime, store_id, user_id) == 200

    expect(
        await api.client.post(f"{ORDERS}/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    # The payment deadline racing the cancel finds nothing left to give back.
    await runner.run(utcnow() + timedelta(hours=1))
    row = await coupon_row(api.runtime, coupon_id)
    assert (row.status, row.order_id, row.return_count) == ("available", None, 1)
    assert await points_balance(api.runtime, store_id, user_id) == 1000
    wallet = expect(await api.client.get(WALLET, headers=shop.shopper), 200)["items"]
    assert [c["id"] for c in wallet if c["status"] == "available"] == [coupon_id]


@pytest.mark.parametrize("granted", [10_000, 300], ids=["share-caps", "balance-caps"])
async def test_points_all_spends_what_the_quote_with_the_most_points_allowed_spends(api, granted):
    shop = await open_shop(api, price_fen=5000)
    store_id = shop.store["id"]
    user_id = await make_member(api, store_id, shop.shopper)
    await grant_points(api, shop, user_id, granted, "开业赠送")
    most = {"store_id": store_id, "points": MAX_POINTS}
    body = {"address_id": shop.address["id"], "items": [{"sku_id": shop.sku_id, "quantity": 1}]}
    asked = await api.client.post(QUOTE, json={**body, "points": [most]}, headers=shop.shopper)
    quote = expect(asked, 200)
    allowed = quote["stores"][0]["points_used"]
    # The default share lets points pay half of the goods: 2500 points of 1 fen each.
    assert allowed == min(granted, 2500)

    for wrong in ["ALL", "2500", 2500.0, 0]:
        refused = await checkout(api, shop, points=[{"store_id": store_id, "points": wrong}])
        assert refused.status_code == 422, wrong
    all_points = [{"store_id": store_id, "points": "all"}]
    placed = expect(await checkout(api, shop, points=all_points), 201)
    order = placed["orders"][0]
    assert order["price_breakdown"]["stores"][0]["points_used"] == allowed
    assert order["payable_fen"] == quote["payable_fen"]
    assert await points_balance(api.runtime, store_id, user_id) == granted - allowed


async def points_balance(runtime, store_id: int, user_id: int) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(
            select(Membership.points_balance).where(
                Membership.store_id == store_id, Membership.user_id == user_id
            )
        )


async def test_an_expired_order_gives_its_coupon_back_and_a_paid_one_uses_it(api, runner):
    shop = await open_shop(api, price_fen=5000)
    template = await create_template(
        api,
        shop.store["id"],
        shop.owner,
        kind="no_threshold",
        threshold_fen=None,
        amount_off_fen=500,
        per_shopper_limit=2,
    )
    first = await coupon_of(api, shop.shopper, template["id"])
    second = await coupon_of(api, shop.shopper, template["id"])
    expired = expect(await checkout(api, shop, coupon_ids=[first]), 201)["orders"][0]
    await runner.run(utcnow() + timedelta(hours=1))
    assert (await api.order(shop.shopper, expired["id"]))["status"] == "cancelled"
    assert (await coupon_row(api.runtime, first)).status == "available"

    paid = expect(await checkout(api, shop, coupon_ids=[second]), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, paid["id"]))
    await runner.run()
    assert (await api.order(shop.shopper, paid["id"]))["status"] == "paid"
    row = await coupon_row(api.runtime, second)
    assert (row.status, row.order_id) == ("used", paid["id"])
    detail = expect(
        await api.client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/coupon-templates/{template['id']}",
            headers=shop.owner,
        ),
        200,
    )
    assert detail["used_count"] == 1


async def test_a_platform_coupon_stays_with_its_checkout_until_no_order_keeps_it(api, runner):
    first = await open_shop(api, price_fen=6000)
    second_store, second_owner = await api.new_store("第二家店")
    other = await api.create_product(second_store, second_owner, price_fen=6000)
    operator = await api.operator()
    template = await create_platform_template(api, operator)
    coupon_id = await coupon_of(api, first.shopper, template["id"])
    body = {
        "address_id": first.address["id"],
        "items": [
            {"sku_id": first.sku_id, "quantity": 1},
            {"sku_id": other["skus"][0]["id"], "quantity": 1},
        ],
    }
    placed = expect(await api.client.post(ORDERS, json=body, headers=first.shopper), 201)
    assert placed["payable_fen"] == 12000 - 2000
    holder, sibling = sorted(placed["orders"], key=lambda o: o["store_id"])
    assert [o["discount_fen"] for o in (holder, sibling)] == [1000, 1000]
    assert (await coupon_row(api.runtime, coupon_id)).order_id == holder["id"]

    # The holder is cancelled while its sibling still carries half the discount.
    cancel = f"{ORDERS}/{holder['id']}/cancel"
    expect(await api.client.post(cancel, json={}, headers=first.shopper), 200)
    row = await coupon_row(api.runtime, coupon_id)
    assert (row.status, row.order_id) == ("locked", sibling["id"])

    await api.confirm_in_cashier(await api.start_payment(first.shopper, sibling["id"]))
    await runner.run()
    assert (await coupon_row(api.runtime, coupon_id)).status == "used"


async def test_the_last_order_of_a_checkout_returns_the_platform_coupon(api):
    shop = await open_shop(api, price_fen=6000)
    operator = await api.operator()
    template = await create_platform_template(
        api,
        operator,
        name="平台无门槛",
        kind="no_threshold",
        amount_off_fen=300,
        threshold_fen=None,
    )
    coupon_id = await coupon_of(api, shop.shopper, template["id"])
    order = expect(await checkout(api, shop), 201)["orders"][0]
    assert order["payable_fen"] == 5700
    expect(
        await api.client.post(f"{ORDERS}/{order['id']}/cancel", json={}, headers=shop.shopper),
        200,
    )
    row = await coupon_row(api.runtime, coupon_id)
    assert (row.status, row.order_id, row.return_count) == ("available", None, 1)


async def test_shipping_comes_from_the_template_and_unreachable_provinces_are_refused(api):
    shop = await open_shop(api, price_fen=3000)
    await create_shipping_template(api, shop.store["id"], shop.owner)
    # The store's only template is its default: 8 yuan first piece, 2 each further one.
    quote = expect(
        await api.client.post(
            QUOTE,
            json={
                "address_id": shop.address["id"],
                "items": [{"sku_id": shop.sku_id, "quantity": 2}],
            },
            headers=shop.shopper,
        ),
        200,
    )
    assert (quote["shipping_fen"], quote["payable_fen"]) == (1000, 7000)
    order = expect(await checkout(api, shop, 2), 201)["orders"][0]
    assert (order["shipping_fen"], order["payable_fen"]) == (1000, 7000)
    free = expect(await checkout(api, shop, 4), 201)["orders"][0]
    assert free["shipping_fen"] == 0

    far = expect(
        await api.client.post(
            "/api/v1/me/addresses",
            json={
                "recipient": "李四",
                "phone": "13912345679",
                "province": "台湾省",
                "city": "台北市",
                "detail": "中正路 1 号",
            },
            headers=shop.shopper,
        ),
        201,
    )
    refused = await api.client.post(
        ORDERS,
        json={"address_id": far["id"], "items": [{"sku_id": shop.sku_id, "quantity": 1}]},
        headers=shop.shopper,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "undeliverable"


async def test_an_address_must_name_a_province_by_its_full_name(api):
    shopper = await api.sign_in()
    answer = await api.client.post(
        "/api/v1/me/addresses",
        json={
            "recipient": "张三",
            "phone": "13912345678",
            "province": "浙江",
            "city": "杭州市",
            "detail": "文三路 100 号",
        },
        headers=shopper,
    )
    assert answer.status_code == 422


async def test_completing_an_order_earns_points_on_what_was_paid(api, runner):
    shop = await open_shop(api, price_fen=5000)
    order = expect(await checkout(api, shop), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order["id"]))
    await runner.run()
    ship = f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order['id']}/shipments"
    expect(
        await api.client.post(
            ship,
            json={"packages": [{"carrier": "顺丰", "tracking_no": "SF1234567890"}]},
            headers=shop.owner,
        ),
        200,
    )
    confirm = f"{ORDERS}/{order['id']}/confirm-receipt"
    expect(await api.client.post(confirm, headers=shop.shopper), 200)
    mine = expect(await api.client.get("/api/v1/me/memberships", headers=shop.shopper), 200)
    # The default rule: one point per yuan paid.
    assert [(m["store_id"], m["points_balance"]) for m in mine] == [(shop.store["id"], 50)]


async def test_a_refunded_order_returns_its_points_and_its_coupon_if_the_template_says_so(
    api, runner
):
    shop = await open_shop(api, price_fen=5000)
    store_id = shop.store["id"]
    returnable = await create_template(
        api,
        store_id,
        shop.owner,
        kind="no_threshold",
        threshold_fen=None,
        amount_off_fen=500,
        return_on_refund=True,
    )
    coupon_id = await coupon_of(api, shop.shopper, returnable["id"])
    user_id = await make_member(api, store_id, shop.shopper)
    await grant_points(api, shop, user_id, 300, "补偿")
    order = expect(await checkout(api, shop, points=[{"store_id": store_id, "points": 300}]), 201)[
        "orders"
    ][0]
    assert order["payable_fen"] == 5000 - 500 - 300
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order["id"]))
    await runner.run()
    assert (await coupon_row(api.runtime, coupon_id)).status == "used"

    cancel = f"/api/v1/merchant/stores/{store_id}/orders/{order['id']}/cancel"
    expect(await api.client.post(cancel, json={"reason": "缺货"}, headers=shop.owner), 200)
    await runner.run()
    refunded = await api.order(shop.shopper, order["id"])
    assert refunded["refunded_fen"] == order["payable_fen"]
    row = await coupon_row(api.runtime, coupon_id)
    assert (row.status, row.order_id) == ("available", None)
    assert await points_balance(api.runtime, store_id, user_id) == 300


async def test_a_member_level_price_is_applied_and_named_at_checkout(api):
    shop = await open_shop(api, price_fen=10000)
    store_id = shop.store["id"]
    level = expect(
        await api.client.post(
            merchant_url(store_id, "/member-levels"),
            json={"name": "银卡", "growth_threshold": 0, "pay_percent": 90},
            headers=shop.owner,
        ),
        201,
    )
    await make_member(api, store_id, shop.shopper)
    order = expect(await checkout(api, shop), 201)["orders"][0]
    line = order["price_breakdown"]["lines"][0]
    assert (line["unit_price_fen"], line["payable_fen"]) == (9000, 9000)
    assert [(a["kind"], a["source_id"], a["amount_fen"]) for a in line["adjustments"]] == [
        ("member_price", str(level["id"]), -1000)
    ]
