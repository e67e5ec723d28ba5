"""Fraud rules hold a commission for the platform, with their evidence; the platform releases
or voids it, once."""

from __future__ import annotations

from tests.affiliates.commission_support import Seller, earnings
from tests.affiliates.conftest import Pool
from tests.affiliates.test_attribution_orders import buy, follow, share_link
from tests.affiliates.test_commissions import (
    complete,
    ledger_terms,
    pay,
    referred_order,
    refund,
    seller,
    settle,
)
from tests.ledger.support import report
from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect
from weshop.affiliates.fraud import CLAW_BACK_LIMIT, CLICK_BURST_LIMIT
from weshop.ledger.chart_of_accounts import Term

HOLDS = "/api/v1/platform/commission-holds"


async def holds(pool: Pool, **params: str) -> list[dict]:
    return expect(await pool.client.get(HOLDS, params=params, headers=pool.operator), 200)["items"]


async def test_an_order_without_suspicion_is_not_held(pool: Pool) -> None:
    await pool.pooled()
    promoter, _ = await pool.promoter()
    link = await share_link(pool, promoter)
    shopper, address_id = await pool.api.buyer()
    await follow(pool, link["code"], shopper)
    await buy(pool, shopper, address_id)
    assert await holds(pool) == []


async def test_a_click_burst_from_one_client_holds_the_commission(pool: Pool) -> None:
    await pool.pooled()
    promoter, record = await pool.promoter()
    link = await share_link(pool, promoter)
    shopper, address_id = await pool.api.buyer()
    for _ in range(CLICK_BURST_LIMIT):
        await follow(pool, link["code"], shopper)
    order = await buy(pool, shopper, address_id)
    (hold,) = await holds(pool, status="held")
    assert (hold["order_id"], hold["promoter_code"]) == (order["id"], record["code"])
    (finding,) = hold["findings"]
    assert finding["rule"] == "click_burst"
    assert finding["evidence"]["clicks_from_client"] == CLICK_BURST_LIMIT
    released = await pool.client.post(
        f"{HOLDS}/{hold['id']}/release", json={"note": "同一办公室网络"}, headers=pool.operator
    )
    assert expect(released, 200)["status"] == "released"
    again = await pool.client.post(
        f"{HOLDS}/{hold['id']}/void", json={"note": "改判"}, headers=pool.operator
    )
    assert expect(again, 409)["error"]["code"] == "illegal_transition"
    assert await holds(pool, status="held") == []


async def test_an_order_shipped_to_the_promoters_phone_is_held(pool: Pool) -> None:
    await pool.pooled()
    promoter, _ = await pool.promoter(phone="13912345678")  # the phone of api.add_address
    link = await share_link(pool, promoter)
    friend, address_id = await pool.api.buyer()
    await follow(pool, link["code"], friend)
    await buy(pool, friend, address_id)
    (hold,) = await holds(pool)
    assert [finding["rule"] for finding in hold["findings"]] == ["shared_address"]
    voided = await pool.client.post(
        f"{HOLDS}/{hold['id']}/void", json={"note": "自买刷单"}, headers=pool.operator
    )
    assert expect(voided, 200)["status"] == "voided"


async def test_a_buyer_on_the_promoters_device_is_held(pool: Pool) -> None:
    await pool.pooled()
    promoter, _ = await pool.promoter()
    link = await share_link(pool, promoter)
    await follow(pool, link["code"], promoter)  # the promoter opens their own link
    other_account, address_id = await pool.api.buyer()
    await follow(pool, link["code"], other_account)  # same client, another account
    await buy(pool, other_account, address_id)
    (hold,) = await holds(pool)
    assert [finding["rule"] for finding in hold["findings"]] == ["shared_device"]


async def test_only_operators_see_holds(pool: Pool) -> None:
    shopper = await pool.api.sign_in()
    assert (await pool.client.get(HOLDS, headers=shopper)).status_code == 403
    assert (await pool.client.get(HOLDS, headers=pool.owner)).status_code == 403


async def test_the_platform_console_lists_holds_with_their_evidence_and_decides_them(
    api, pool: Pool, client
) -> None:
    await pool.pooled()
    promoter, record = await pool.promoter(phone="13912345678")
    link = await share_link(pool, promoter)
    friend, address_id = await pool.api.buyer()
    await follow(pool, link["code"], friend)
    await buy(pool, friend, address_id)
    (hold,) = await holds(pool)
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/affiliates/holds")
    assert "收货手机号为推客本人" in shown and record["code"] in shown
    refused = await post(client, f"/platform/affiliates/holds/{hold['id']}/void", {}, status=422)
    assert 'aria-invalid="true"' in refused.text
    assert (await holds(pool, status="held"))[0]["id"] == hold["id"]
    await post(client, f"/platform/affiliates/holds/{hold['id']}/void", {"note": "自买"})
    (voided,) = await holds(pool, status="voided")
    assert voided["decision_note"] == "自买"
    assert "暂无冻结的佣金" in await page(client, "/platform/affiliates/holds")


async def held_order(pool: Pool) -> tuple[Seller, dict, dict]:
    """A paid, completed order whose commission is held (it ships to the promoter's phone)."""
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool, phone="13912345678")
    shopper, order = await referred_order(pool, promoter)
    order = await pay(pool, shopper, order)
    await complete(pool, shopper, order["id"])
    (hold,) = await holds(pool)
    return promoter, order, hold


async def test_a_held_commission_waits_and_its_release_lets_the_order_settle(
    pool: Pool, api, runner
) -> None:
    promoter, order, hold = await held_order(pool)
    await settle(runner)  # the after-sales window closed: the settlement waits for the review
    assert (await earnings(pool, promoter))["frozen_fen"] == 399
    waiting = await ledger_terms(api.runtime, order["id"])
    assert (waiting[Term.STORE_RELEASED], waiting[Term.COMMISSION]) == (0, 0)
    expect(
        await pool.client.post(
            f"{HOLDS}/{hold['id']}/release", json={"note": "核实无误"}, headers=pool.operator
        ),
        200,
    )
    await settle(runner)
    assert (await earnings(pool, promoter))["settled_fen"] == 399
    assert (await ledger_terms(api.runtime, order["id"]))[Term.COMMISSION] == 399
    assert (await report(api.runtime)).violations == []


async def test_a_voided_commission_is_cancelled_and_the_store_keeps_it(
    pool: Pool, api, runner
) -> None:
    promoter, order, hold = await held_order(pool)
    expect(
        await pool.client.post(
            f"{HOLDS}/{hold['id']}/void", json={"note": "自买刷单"}, headers=pool.operator
        ),
        200,
    )
    found = await earnings(pool, promoter)
    assert (found["frozen_fen"], found["settled_fen"]) == (0, 0)
    await settle(runner)
    terms = await ledger_terms(api.runtime, order["id"])
    assert terms[Term.COMMISSION] == 0 and terms[Term.STORE_RELEASED] > 0
    assert (await report(api.runtime)).violations == []


async def test_repeated_claw_backs_hold_the_promoters_next_commission(
    pool: Pool, api, runner
) -> None:
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    for _ in range(CLAW_BACK_LIMIT):
        shopper, order = await referred_order(pool, promoter)
        order = await pay(pool, shopper, order)
        await complete(pool, shopper, order["id"])
        await settle(runner)
        await refund(pool, runner, order, 1999)  # after settlement: clawed back
    assert await holds(pool) == []
    await referred_order(pool, promoter)
    (hold,) = await holds(pool)
    (finding,) = hold["findings"]
    assert finding["rule"] == "repeated_claw_backs"
    assert finding["evidence"]["claw_backs"] == CLAW_BACK_LIMIT


async def test_a_self_purchase_the_plan_pays_is_not_held(pool: Pool) -> None:
    await pool.pooled(self_purchase="commission")
    promoter, record = await pool.promoter(phone="13912345678")  # ships to their own phone
    link = await share_link(pool, promoter)
    await follow(pool, link["code"], promoter)
    address_id = (await pool.api.add_address(promoter))["id"]
    order = await buy(pool, promoter, address_id)
    (line,) = (
        await pool.client.get(
            f"/api/v1/merchant/stores/{pool.store_id}/orders/{order['id']}/attribution",
            headers=pool.owner,
        )
    ).json()["lines"]
    assert (line["rule"], line["promoter_code"]) == ("self_purchase", record["code"])
    assert await holds(pool) == []
