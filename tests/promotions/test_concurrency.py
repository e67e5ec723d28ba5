"""Concurrent claims never issue more coupons than a template has, nor more than a shopper's
limit; over the in-process client and over real connections to a live server."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from tests.promotions.conftest import CLAIMS, claim, create_template, shoppers, template_detail
from tests.support import expect
from weshop.promotions.models import CouponClaimCounter, ShopperCoupon


async def coupons_of(runtime, template_id: int) -> list[ShopperCoupon]:
    async with runtime.db.session(write=False) as session:
        rows = await session.scalars(
            select(ShopperCoupon).where(ShopperCoupon.template_id == template_id)
        )
        return list(rows)


def codes(answers: list[httpx.Response]) -> Counter:
    return Counter(
        answer.json()["error"]["code"] if answer.status_code >= 400 else answer.status_code
        for answer in answers
    )


async def test_200_shoppers_racing_for_50_coupons_get_exactly_50(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, total_quantity=50)
    crowd = await shoppers(api, 200)
    answers = await asyncio.gather(*(claim(client, shopper, made["id"]) for shopper in crowd))
    assert codes(answers) == {201: 50, "sold_out": 150}
    issued = await coupons_of(runtime, made["id"])
    assert len(issued) == 50 and len({c.user_id for c in issued}) == 50
    detail = await template_detail(api, store_id, owner, made["id"])
    assert detail["claimed_count"] == 50 and detail["figures"]["available"] == 50


async def test_64_claims_of_the_last_coupon_make_exactly_one(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, total_quantity=10, per_shopper_limit=10)
    first = await shoppers(api, 9)
    for shopper in first:
        expect(await claim(client, shopper, made["id"]), 201)
    crowd = await shoppers(api, 64)
    answers = await asyncio.gather(*(claim(client, shopper, made["id"]) for shopper in crowd))
    assert codes(answers) == {201: 1, "sold_out": 63}
    assert len(await coupons_of(runtime, made["id"])) == 10
    assert (await template_detail(api, store_id, owner, made["id"]))["claimed_count"] == 10


async def test_one_shopper_claiming_20_times_at_once_gets_their_limit_of_2(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, per_shopper_limit=2)
    shopper = await api.sign_in()
    answers = await asyncio.gather(*(claim(client, shopper, made["id"]) for _ in range(20)))
    assert codes(answers) == {201: 2, "limit_reached": 18}
    assert len(await coupons_of(runtime, made["id"])) == 2
    async with runtime.db.session(write=False) as session:
        counted = await session.scalar(
            select(func.sum(CouponClaimCounter.claimed)).where(
                CouponClaimCounter.template_id == made["id"]
            )
        )
    assert counted == 2
    assert (await template_detail(api, store_id, owner, made["id"]))["claimed_count"] == 2


async def test_live_server_200_claims_for_50_coupons_and_a_greedy_shopper(
    api,
    runtime,
    live_url,
):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, total_quantity=50, per_shopper_limit=2)
    crowd = await shoppers(api, 190)
    greedy = crowd[0]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=live_url, limits=limits, timeout=120) as http:

        async def one(shopper) -> httpx.Response:
            return await http.post(CLAIMS, json={"template_id": made["id"]}, headers=shopper)

        # The greedy shopper sends 11 of the 200 requests.
        answers = await asyncio.gather(*(one(s) for s in [*crowd, *[greedy] * 10]))
    found = codes(answers)
    assert found[201] == 50, found
    assert set(found) <= {201, "sold_out", "limit_reached"}
    issued = await coupons_of(runtime, made["id"])
    assert len(issued) == 50
    per_user = Counter(c.user_id for c in issued)
    assert max(per_user.values()) <= 2
    assert (await template_detail(api, store_id, owner, made["id"]))["claimed_count"] == 50
