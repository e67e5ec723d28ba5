"""Commission through WeChat Pay (partner mode, against the simulator): random sequences of
clicks, orders, rate changes, cancellations and partial refunds before and after settlement.
Then every commission stays within its line's base × the rate of its click, each promoter's
balance at the provider equals their commission account in the ledger to the fen, the store's
equals its available money plus the commission it owes less the claw-backs it is owed, and
the ledger checks clean.

The number of orders is ``WESHOP_COMMISSION_ORDERS`` (default 30); the seed is printed so a
failing run can be repeated with ``WESHOP_COMMISSION_SEED``.
"""

# The simulator fixtures are imported by name, as pytest finds them: used as parameters.
# ruff: noqa: F811

from __future__ import annotations

import os
import random
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.affiliates.commission_support import Seller, earnings, follow_link, set_payout
from tests.affiliates.conftest import POLICY, Pool, open_pool
from tests.ledger.support import report
from tests.paysim.fixtures import (  # noqa: F401
    NOTIFY_URL,
    FakeClock,
    cashier,
    inbox,
    merchant_keys,
    partner,
    pay_at_cashier,
    platform,
    sim,
    sim_app,
    transport,
    wechatpay,
)
from tests.support import expect
from weshop.affiliates.models import Commission, CommissionStatus
from weshop.core.clock import utcnow
from weshop.core.money import bps_share
from weshop.ledger.models import AccountKind, LedgerAccount, Posting
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

HOLDS = "/api/v1/platform/commission-holds"
ORDERS = int(os.environ.get("WESHOP_COMMISSION_ORDERS", "30"))
SEED = int(os.environ.get("WESHOP_COMMISSION_SEED", random.randrange(1 << 30)))
STORE = f"mch:{READY_SUB_MCHID}"
K = AccountKind


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utcnow())


def openid(n: int) -> str:
    return f"oTest{n:023d}"


async def kinds_by_promoter(runtime) -> dict[tuple[AccountKind, int | None], int]:
    async with runtime.db.session(write=False) as session:
        rows = await session.execute(
            select(LedgerAccount.kind, LedgerAccount.promoter_id, func.sum(Posting.amount_fen))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .group_by(LedgerAccount.kind, LedgerAccount.promoter_id)
        )
        return defaultdict(int, {(kind, p): int(total) for kind, p, total in rows})


async def release_holds(pool: Pool) -> None:
    """The platform reviews and releases the commissions the fraud rules held (the random
    claw-backs here make promoters look like refund farmers): their orders may settle."""
    while True:
        held = expect(
            await pool.client.get(
                HOLDS, params={"status": "held", "limit": 100}, headers=pool.operator
            ),
            200,
        )["items"]
        if not held:
            return
        for hold in held:
            expect(
                await pool.client.post(
                    f"{HOLDS}/{hold['id']}/release", json={"note": "已核实"}, headers=pool.operator
                ),
                200,
            )


async def wechatpay_pool(api, client, inbox) -> tuple[Pool, dict]:
    """A store paid through WeChat Pay (partner mode) with one product in the alliance pool
    at 10% (2% to the inviter, two levels paid), its notices delivered to WeShop."""

    async def to_weshop(headers, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    inbox.handler = to_weshop
    pool: Pool = await open_pool(api)
    expect(
        await client.put(
            f"/api/v1/platform/stores/{pool.store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": READY_SUB_MCHID},
            headers=pool.operator,
        ),
        200,
    )
    expect(await client.put(POLICY, json={"max_depth": 2}, headers=pool.operator), 200)
    product = await api.create_product(
        pool.store_id, pool.owner, title="龙井", price_fen=12345, stock=99999
    )
    listing = await pool.pooled(product_id=product["id"], rate_bps=1000, agency_rate_bps=200)
    pool.product = product
    return pool, listing


async def pay_with_wechat(api, client, sim, cashier, shopper, order: dict) -> dict:
    payment = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=shopper,
        ),
        201,
    )
    assert (await pay_at_cashier(cashier, h5_url=payment["cashier_url"])).status_code == 200
    await sim.process_due()
    order = await api.order(shopper, order["id"])
    assert order["status"] == "paid"
    order["shopper"] = shopper
    return order


async def test_owed_commission_reaches_the_promoter_once_they_have_an_account(
    api, client, worker, runtime, wechatpay, sim, cashier, inbox
):
    pool, _ = await wechatpay_pool(api, client, inbox)
    sku = pool.product["skus"][0]["id"]
    promoter = Seller(*await pool.promoter())

    async def order_settled(referred: bool, days: int) -> dict:
        shopper, address_id = await api.buyer()
        if referred:
            await follow_link(pool, promoter, shopper)
        placed = expect(await api.place_order(shopper, address_id, [(sku, 1)]), 201)
        order = await pay_with_wechat(api, client, sim, cashier, shopper, placed["orders"][0])
        await complete(pool, order)
        later = utcnow() + timedelta(days=days)
        await worker.drain(later, max_rounds=1000)
        await sim.process_due()
        await worker.drain(later, max_rounds=1000)
        return order

    await order_settled(referred=True, days=8)
    owed = (await earnings(pool, promoter))["owed_fen"]
    assert owed == 1234  # 10% of 123.45 yuan, rounded down
    await set_payout(pool, promoter, openid(1))
    await order_settled(referred=False, days=16)  # an order of the store without a promoter

    found = await earnings(pool, promoter)
    assert (found["paid_out_fen"], found["owed_fen"]) == (owed, 0)
    ledger = await kinds_by_promoter(runtime)
    assert ledger[(K.PROMOTER_COMMISSION, promoter.id)] == owed
    assert ledger[(K.COMMISSION_OWED, promoter.id)] == 0
    assert funds.balance(sim.store, f"openid:{openid(1)}") == (owed, 0)
    assert funds.balance(sim.store, STORE) == (ledger[(K.STORE_AVAILABLE, None)], 0)
    assert (await report(runtime)).violations == []


async def test_promoters_balances_at_the_provider_equal_the_ledgers(
    api,
    client,
    runner,
    worker,
    runtime,
    wechatpay,
    sim,
    cashier,
    inbox,
):
    print(f"seed={SEED} orders={ORDERS}")
    rng = random.Random(SEED)
    pool, listing = await wechatpay_pool(api, client, inbox)
    sku = pool.product["skus"][0]["id"]

    # A paid out, an inviter paid out; B invited by A; C without a payout account; D sets
    # one between the rounds (what the store owes D is paid from its later settlements).
    a = Seller(*await pool.promoter())
    b = Seller(*await pool.promoter(inviter_code=a.record["code"]))
    c = Seller(*await pool.promoter())
    d = Seller(*await pool.promoter())
    await set_payout(pool, a, openid(1))
    await set_payout(pool, b, openid(2))
    sellers = [a, b, c, d]
    rates = {1000}

    async def orders(count: int) -> list[tuple[dict, dict]]:
        """Orders through a random promoter's link, some closed unpaid, some refunded in part."""
        paid: list[tuple[dict, dict]] = []
        for _ in range(count):
            if rng.random() < 0.2:  # a new rate, for clicks from now on
                # Up to 23%: with the 2% agency rate and the 5% fee, the 30% WeChat Pay splits.
                rate = rng.choice((0, 500, 1500, 2000, 2300))
                rates.add(rate)
                expect(
                    await client.patch(
                        f"{pool.base}/{listing['id']}", json={"rate_bps": rate}, headers=pool.owner
                    ),
                    200,
                )
            shopper, address_id = await api.buyer()
            await follow_link(pool, rng.choice(sellers), shopper)
            placed = expect(
                await api.place_order(shopper, address_id, [(sku, rng.randint(1, 3))]), 201
            )
            order = placed["orders"][0]
            if rng.random() < 0.1:  # closed unpaid
                expect(
                    await client.post(
                        f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shopper
                    ),
                    200,
                )
                continue
            order = await pay_with_wechat(api, client, sim, cashier, shopper, order)
            left = {"fen": order["lines"][0]["payable_fen"]}
            if rng.random() < 0.3:  # before settlement: a part, the order still ships
                await refund_part(rng, pool, order, left, keep=1)
            paid.append((order, left))
        return paid

    async def settle_all(paid: list[tuple[dict, dict]], days: int) -> None:
        await runner.run()
        await sim.process_due()
        for order, _ in paid:
            await complete(pool, order)
        await release_holds(pool)
        later = utcnow() + timedelta(days=days)
        await worker.drain(later, max_rounds=1000)
        await sim.process_due()
        await worker.drain(later, max_rounds=1000)

    async def refund_settled(paid: list[tuple[dict, dict]], days: int) -> None:
        for order, left in paid:  # after settlement: clawed back
            if rng.random() < 0.3 and left["fen"]:
                await refund_part(rng, pool, order, left)
        later = utcnow() + timedelta(days=days)
        await worker.drain(later, max_rounds=1000)
        await sim.process_due()
        await worker.drain(later + timedelta(minutes=2), max_rounds=1000)

    first = await orders(ORDERS)
    await settle_all(first, 8)
    await refund_settled(first, 8)
    owed_to_d = await earnings(pool, d)
    print(f"owed to D before their payout account: {owed_to_d['owed_fen']}")
    await set_payout(pool, d, openid(3))
    # More orders settle after the claw-backs: the store keeps what the promoters owe it back.
    second = await orders(ORDERS // 2)
    await settle_all(second, 16)
    await refund_settled(second, 16)

    async with runtime.db.session(write=False) as session:
        rows = list(await session.scalars(select(Commission)))
    assert rows, "some lines were attributed"
    lines: dict[int, list[Commission]] = defaultdict(list)
    for row in rows:
        lines[row.order_line_id].append(row)
        assert row.rate_bps in rates or row.level == 2  # the rate in force at some click
        if row.status == CommissionStatus.SETTLED:
            assert row.settled_fen - row.clawed_back_fen == row.amount_fen
    for levels in lines.values():
        # The line's commission is the levels' rates of what the shopper kept, rounded down
        # once; each level's part of it is within a fen of its own rate's share.
        kept = levels[0].base_fen - levels[0].refunded_fen
        rate = sum(row.rate_bps for row in levels)
        assert sum(row.amount_fen for row in levels) <= bps_share(kept, rate)
        assert sum(row.settled_fen for row in levels) <= bps_share(levels[0].base_fen, rate)
        for row in levels:
            assert row.amount_fen * 10_000 < kept * row.rate_bps + 10_000

    for promoter in sellers:  # a claw-back is repaid once at most
        mine = [row for row in rows if row.promoter_id == promoter.id]
        clawed, carried = (sum(r.clawed_back_fen for r in mine), sum(r.carried_fen for r in mine))
        print(f"promoter {promoter.id}: clawed back {clawed}, repaid {carried}")
        assert 0 <= carried <= clawed
    ledger = await kinds_by_promoter(runtime)
    assert ledger[(K.STORE_FROZEN, None)] == 0, "every order settled"
    for n, promoter in enumerate((a, b, d), start=1):
        at_provider = funds.balance(sim.store, f"openid:{openid(n)}")
        assert at_provider == (ledger[(K.PROMOTER_COMMISSION, promoter.id)], 0)
        mine = await earnings(pool, promoter)
        assert mine["paid_out_fen"] == at_provider[0]
        assert mine["owed_fen"] == ledger[(K.COMMISSION_OWED, promoter.id)] >= 0
    # D was paid what was owed to them, less their claw-backs, as far as the second round's
    # settlements could carry it.
    print(f"owed to D at the end: {ledger[(K.COMMISSION_OWED, d.id)]}")
    assert ledger[(K.PROMOTER_COMMISSION, c.id)] == 0
    store_ledger = (
        ledger[(K.STORE_AVAILABLE, None)]
        + sum(v for (kind, _), v in ledger.items() if kind == K.COMMISSION_OWED)
        + sum(v for (kind, _), v in ledger.items() if kind == K.COMMISSION_CLAWBACK)
    )
    assert funds.balance(sim.store, STORE) == (store_ledger, 0)
    platform_fee = ledger[(K.PLATFORM_FEE, None)]
    assert funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (platform_fee, 0)
    assert (await report(runtime)).violations == []


async def refund_part(
    rng: random.Random, pool: Pool, order: dict, left: dict, keep: int = 0
) -> None:
    amount = rng.randint(1, left["fen"] - keep)
    expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{pool.store_id}/orders/{order['id']}/refunds",
            json={
                "lines": [{"order_line_id": order["lines"][0]["id"], "amount_fen": amount}],
                "reason": "部分退款",
            },
            headers=pool.owner,
        ),
        201,
    )
    left["fen"] -= amount


async def complete(pool: Pool, order: dict) -> None:
    merchant = f"/api/v1/merchant/stores/{pool.store_id}/orders/{order['id']}"
    expect(
        await pool.client.post(
            f"{merchant}/shipments",
            json={"packages": [{"carrier": "顺丰", "tracking_no": f"SF{order['id']:08d}"}]},
            headers=pool.owner,
        ),
        200,
    )
    expect(
        await pool.client.post(
            f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=order["shopper"]
        ),
        200,
    )
