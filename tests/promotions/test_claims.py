"""Claiming coupons, the wallet, the coupon centre and issuing coupons to a list of phones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from tests.promotions.conftest import (
    CLAIMS,
    PLATFORM,
    WALLET,
    claim,
    create_template,
    fixed_coupon,
    template_detail,
    templates_url,
    window,
)
from tests.support import expect, new_phone
from weshop.core.clock import utcnow
from weshop.promotions.models import CouponTemplate, ShopperCoupon


async def count_coupons(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(ShopperCoupon))


async def test_a_claim_puts_a_coupon_in_the_wallet(api, client):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, valid_days_after_claim=3)
    shopper = await api.sign_in()
    before = utcnow()
    coupon = expect(await claim(client, shopper, made["id"]), 201)
    assert (coupon["template_id"], coupon["store_id"]) == (made["id"], store_id)
    assert (coupon["status"], coupon["kind"], coupon["amount_off_fen"]) == (
        "available",
        "fixed",
        1000,
    )
    assert coupon["threshold_fen"] == 10000 and coupon["order_id"] is None
    wallet = expect(await client.get(WALLET, headers=shopper), 200)
    assert [c["id"] for c in wallet["items"]] == [coupon["id"]]
    valid_until = wallet["items"][0]["valid_until"]
    assert valid_until > (before + timedelta(days=3) - timedelta(seconds=5)).isoformat()
    assert (await template_detail(api, store_id, owner, made["id"]))["claimed_count"] == 1


async def test_a_fixed_window_is_copied_to_the_coupon(api, client):
    store_id, owner = await api.new_store()
    terms = window(1, 10)
    made = await create_template(api, store_id, owner, **terms)
    shopper = await api.sign_in()
    coupon = expect(await claim(client, shopper, made["id"]), 201)
    assert coupon["valid_from"] == made["valid_from"]
    assert coupon["valid_until"] == made["valid_until"]


async def test_claim_refusals_have_their_codes(api, client, runtime):
    store_id, owner = await api.new_store()
    shopper = await api.sign_in()
    one = await create_template(api, store_id, owner, total_quantity=1)
    expect(await claim(client, await api.sign_in(), one["id"]), 201)
    answer = await claim(client, shopper, one["id"])
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "sold_out")

    limited = await create_template(api, store_id, owner, per_shopper_limit=1)
    expect(await claim(client, shopper, limited["id"]), 201)
    answer = await claim(client, shopper, limited["id"])
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "limit_reached")

    for action, code in (("pause", "template_paused"), ("end", "template_ended")):
        made = await create_template(api, store_id, owner)
        expect(
            await client.post(templates_url(store_id, f"/{made['id']}/{action}"), headers=owner),
            200,
        )
        answer = await claim(client, shopper, made["id"])
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, code)

    unknown = await claim(client, shopper, 10**12)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    assert (await client.post(CLAIMS, json={"template_id": 1})).status_code == 401
    assert (await client.post(CLAIMS, json={"template_id": 0}, headers=shopper)).status_code == 422
    assert await count_coupons(runtime) == 2


async def test_a_template_whose_window_is_over_cannot_be_claimed(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, **window(-3, 1))
    async with runtime.db.transaction() as session:
        await session.execute(
            update(CouponTemplate)
            .where(CouponTemplate.id == made["id"])
            .values(valid_until=utcnow() - timedelta(minutes=1))
        )
    answer = await claim(client, await api.sign_in(), made["id"])
    assert answer.json()["error"]["code"] == "template_expired"


async def test_a_suspended_stores_coupons_are_not_found(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    made = await create_template(api, store["id"], owner)
    expect(
        await client.post(f"/api/v1/platform/stores/{store['id']}/suspend", headers=operator), 200
    )
    assert (await claim(client, await api.sign_in(), made["id"])).status_code == 404
    centre = await client.get(f"/api/v1/shop/coupons?store_id={store['id']}")
    assert centre.status_code == 404


async def test_a_repeated_claim_with_the_same_key_gives_the_first_answer(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, per_shopper_limit=5)
    shopper = await api.sign_in()
    headers = {**shopper, "Idempotency-Key": "claim-1"}
    first = await client.post(CLAIMS, json={"template_id": made["id"]}, headers=headers)
    again = await client.post(CLAIMS, json={"template_id": made["id"]}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert await count_coupons(runtime) == 1
    other = await client.post(CLAIMS, json={"template_id": made["id"] + 1}, headers=headers)
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_the_wallet_filters_by_the_status_a_shopper_sees(api, client, runtime):
    store_id, owner = await api.new_store()
    shopper = await api.sign_in()
    coupons = []
    for i in range(3):
        made = await create_template(api, store_id, owner, name=f"券{i}")
        coupons.append(expect(await claim(client, shopper, made["id"]), 201))
    # The first one's validity has run out, not yet swept: it shows as expired.
    async with runtime.db.transaction() as session:
        await session.execute(
            update(ShopperCoupon)
            .where(ShopperCoupon.id == coupons[0]["id"])
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )

    async def ids(status: str) -> list[int]:
        page = expect(await client.get(f"{WALLET}?status={status}", headers=shopper), 200)
        return [c["id"] for c in page["items"]]

    assert await ids("available") == [coupons[2]["id"], coupons[1]["id"]]
    assert await ids("expired") == [coupons[0]["id"]]
    assert await ids("used") == []
    everything = expect(await client.get(WALLET, headers=shopper), 200)["items"]
    assert [c["status"] for c in everything] == ["available", "available", "expired"]
    assert [c["name"] for c in everything] == ["券2", "券1", "券0"]
    assert (await client.get(f"{WALLET}?status=bogus", headers=shopper)).status_code == 422
    assert expect(await client.get(WALLET, headers=await api.sign_in()), 200)["items"] == []


async def test_the_coupon_centre_lists_what_can_be_claimed(api, client):
    operator = await api.operator()
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家")
    mine = await create_template(api, store_id, owner, total_quantity=3)
    sold = await create_template(api, store_id, owner, total_quantity=1)
    paused = await create_template(api, store_id, owner)
    await create_template(api, other_id, other_owner)
    platform = expect(await client.post(PLATFORM, json=fixed_coupon(), headers=operator), 201)
    expect(await claim(client, await api.sign_in(), sold["id"]), 201)
    expect(await claim(client, await api.sign_in(), mine["id"]), 201)
    expect(await client.post(templates_url(store_id, f"/{paused['id']}/pause"), headers=owner), 200)

    centre = expect(await client.get(f"/api/v1/shop/coupons?store_id={store_id}"), 200)
    assert {c["id"]: c["remaining"] for c in centre["items"]} == {
        mine["id"]: 2,
        platform["id"]: 100,
    }
    only_platform = expect(await client.get("/api/v1/shop/coupons"), 200)
    assert [c["id"] for c in only_platform["items"]] == [platform["id"]]
    assert (await client.get("/api/v1/shop/coupons?store_id=999999")).status_code == 404


async def test_issuing_to_a_list_reports_each_phone(api, client, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, total_quantity=3)
    known = new_phone()
    shopper = await api.sign_in(known)
    phones = [known, new_phone(), known, new_phone(), new_phone(), new_phone()]
    report = expect(
        await client.post(
            templates_url(store_id, f"/{made['id']}/issuances"),
            json={"phones": phones},
            headers=owner,
        ),
        200,
    )
    assert (report["issued"], report["skipped"]) == (3, 2)
    assert [line["outcome"] for line in report["results"]] == [
        "issued",
        "issued",
        "issued",
        "skipped",
        "skipped",
    ]
    assert {line["reason"] for line in report["results"][3:]} == {"sold_out"}
    assert report["results"][0]["phone"] == f"{known[:3]}****{known[-4:]}"
    wallet = expect(await client.get(WALLET, headers=shopper), 200)
    assert [c["id"] for c in wallet["items"]] == [report["results"][0]["coupon_id"]]
    assert await count_coupons(runtime) == 3
    # The per-shopper limit holds for issuance too.
    again = await create_template(api, store_id, owner, per_shopper_limit=1)
    expect(await claim(client, shopper, again["id"]), 201)
    report = expect(
        await client.post(
            templates_url(store_id, f"/{again['id']}/issuances"),
            json={"phones": [known, new_phone()]},
            headers=owner,
        ),
        200,
    )
    assert [line["reason"] for line in report["results"]] == ["limit_reached", None]
    assert report["issued"] == 1
    expect(await client.post(templates_url(store_id, f"/{again['id']}/pause"), headers=owner), 200)
    refused = await client.post(
        templates_url(store_id, f"/{again['id']}/issuances"),
        json={"phones": [new_phone()]},
        headers=owner,
    )
    assert refused.json()["error"]["code"] == "template_paused"


async def test_operators_issue_platform_coupons(api, client):
    operator = await api.operator()
    made = expect(await client.post(PLATFORM, json=fixed_coupon(), headers=operator), 201)
    phone = new_phone()
    report = expect(
        await client.post(
            f"{PLATFORM}/{made['id']}/issuances", json={"phones": [phone]}, headers=operator
        ),
        200,
    )
    assert report["issued"] == 1
    wallet = expect(await client.get(WALLET, headers=await api.sign_in(phone)), 200)
    assert [(c["template_id"], c["store_id"]) for c in wallet["items"]] == [(made["id"], None)]
    bad = await client.post(
        f"{PLATFORM}/{made['id']}/issuances", json={"phones": ["12"]}, headers=operator
    )
    assert bad.status_code == 422


async def test_the_figures_count_claims(api, client):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner)
    for _ in range(2):
        expect(await claim(client, await api.sign_in(), made["id"]), 201)
    detail = await template_detail(api, store_id, owner, made["id"])
    assert detail["figures"] == {
        "claimed": 2,
        "available": 2,
        "locked": 0,
        "used": 0,
        "expired": 0,
        "returned": 0,
        "discount_given_fen": 0,
    }
