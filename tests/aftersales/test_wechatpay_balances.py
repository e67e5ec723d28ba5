"""After-sales refunds through WeChat Pay (partner mode, against the simulator): random
orders of two stores (each its own sub-merchant), random partial after-sales refunds before
shipping (some giving back a whole order) and after receipt (returns, some at a lower amount
the store proposed), then every order settles. Each store's balance at the provider equals
its available money in the ledger, the platform's equals its fees, and the ledger checks
clean.

The number of orders is ``WESHOP_AFTERSALES_ORDERS`` (default 12); the seed is printed so a
failing run can be repeated with ``WESHOP_AFTERSALES_SEED``.
"""

# The simulator fixtures are imported by name, as pytest finds them: used as parameters.
# ruff: noqa: F811

from __future__ import annotations

import os
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.aftersales.support import RETURN_POLICY
from tests.ledger.support import report
from tests.logistics.support import create_template
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
from tests.paysim.test_applyments import FORM
from tests.support import Headers, expect
from weshop.core.clock import utcnow
from weshop.ledger.models import AccountKind, LedgerAccount, Posting
from weshop.paysim import funds
from weshop.paysim.identity import PLATFORM_MCHID, READY_SUB_MCHID

ORDERS = int(os.environ.get("WESHOP_AFTERSALES_ORDERS", "12"))
SEED = int(os.environ.get("WESHOP_AFTERSALES_SEED", random.randrange(1 << 30)))
K = AccountKind


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utcnow())


@dataclass
class Seller:
    store_id: int
    owner: Headers
    skus: list[int]
    sub_mchid: str

    def merchant(self, path: str) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}{path}"


async def open_seller(api, client, operator: Headers, clock: FakeClock, sub: str | None) -> Seller:
    """A store with three products and a shipping fee, paid into sub-merchant ``sub`` (None:
    one it applies for)."""
    store, owner = await api.create_store(operator)
    accounts = f"/api/v1/platform/stores/{store['id']}/payment-accounts/wechatpay"
    if sub is None:
        expect(
            await client.post(f"{accounts}/applyment", json={"form": FORM}, headers=operator), 200
        )
        expect(await client.post(f"{accounts}/applyment/refresh", headers=operator), 200)
        clock.advance(seconds=31)
        finished = await client.post(f"{accounts}/applyment/refresh", headers=operator)
        sub = expect(finished, 200)["sub_mchid"]
    else:
        expect(await client.put(accounts, json={"sub_mchid": sub}, headers=operator), 200)
    skus = []
    for price in (1999, 350, 12345):
        product = await api.create_product(store["id"], owner, price_fen=price, stock=9999)
        skus.append(product["skus"][0]["id"])
    await create_template(api, store["id"], owner, free_over_fen=None)
    expect(
        await client.put(
            f"/api/v1/merchant/stores/{store['id']}/aftersales/policy",
            json=RETURN_POLICY,
            headers=owner,
        ),
        200,
    )
    return Seller(store["id"], owner, skus, sub)


async def store_balances(runtime) -> dict[tuple[AccountKind, int | None], int]:
    async with runtime.db.session(write=False) as session:
        rows = await session.execute(
            select(LedgerAccount.kind, LedgerAccount.store_id, func.sum(Posting.amount_fen))
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .group_by(LedgerAccount.kind, LedgerAccount.store_id)
        )
        return defaultdict(int, {(kind, store): int(total) for kind, store, total in rows})


async def test_after_sales_refunds_leave_the_providers_balances_equal_to_the_ledgers(
    api, client, runner, worker, runtime, wechatpay, sim, cashier, inbox, clock
):
    print(f"seed={SEED} orders={ORDERS}")
    rng = random.Random(SEED)

    async def to_weshop(headers, body: bytes) -> int:
        path = urlsplit(inbox.deliveries[-1].url).path
        return (await client.post(path, content=body, headers=dict(headers))).status_code

    inbox.handler = to_weshop
    operator = await api.operator()
    sellers = [
        await open_seller(api, client, operator, clock, READY_SUB_MCHID),
        await open_seller(api, client, operator, clock, None),
    ]

    async def settle_refunds() -> None:
        await runner.run()
        await sim.process_due()
        await runner.run()

    async def ask(shopper, order: dict, line: dict, quantity: int, kind: str) -> dict:
        answer = await client.post(
            "/api/v1/me/aftersales",
            json={
                "order_id": order["id"],
                "order_line_id": line["id"],
                "quantity": quantity,
                "kind": kind,
                "reason_code": "quality",
            },
            headers=shopper,
        )
        return expect(answer, 201)

    async def store_does(seller: Seller, request_id: int, action: str, body=None) -> dict:
        answer = await client.post(
            seller.merchant(f"/aftersales/{request_id}/{action}"),
            json=body or {},
            headers=seller.owner,
        )
        return expect(answer, 200)

    async def shopper_does(shopper, request_id: int, action: str, body=None) -> dict:
        answer = await client.post(
            f"/api/v1/me/aftersales/{request_id}/{action}", json=body or {}, headers=shopper
        )
        return expect(answer, 200)

    counts: dict[str, int] = defaultdict(int)
    for n in range(ORDERS):
        seller = rng.choice(sellers)
        shopper, address_id = await api.buyer()
        items = [(sku, rng.randint(1, 3)) for sku in rng.sample(seller.skus, rng.randint(1, 2))]
        order = expect(await api.place_order(shopper, address_id, items), 201)["orders"][0]
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

        # Before shipping: refunds of some units (fast: approved at once), line by line.
        for line in order["lines"]:
            if rng.random() < 0.4:
                await ask(shopper, order, line, rng.randint(1, line["quantity"]), "refund_only")
                counts["refund_only"] += 1
        await settle_refunds()
        order = await api.order(shopper, order["id"])
        if order["status"] == "cancelled":  # every unit given back
            counts["given_back_whole"] += 1
            continue
        expect(
            await client.post(
                seller.merchant(f"/orders/{order['id']}/shipments"),
                json={
                    "packages": [{"carrier": "顺丰", "tracking_no": f"SF{n:04d}{order['id']:06d}"}]
                },
                headers=seller.owner,
            ),
            200,
        )
        expect(
            await client.post(f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=shopper),
            200,
        )

        # After receipt: returns of some shipped units, some at a lower amount.
        order = await api.order(shopper, order["id"])
        for line in order["lines"]:
            if not line["shipped_quantity"] or rng.random() >= 0.4:
                continue
            asked = await ask(
                shopper, order, line, rng.randint(1, line["shipped_quantity"]), "return_and_refund"
            )
            if rng.random() < 0.5 and asked["max_fen"] > 1:
                lower = rng.randint(1, asked["max_fen"] - 1)
                await store_does(seller, asked["id"], "propose", {"amount_fen": lower})
                await shopper_does(shopper, asked["id"], "accept")
                counts["lowered"] += 1
            else:
                await store_does(seller, asked["id"], "approve")
            await shopper_does(
                shopper,
                asked["id"],
                "return-shipment",
                {"carrier": "中通", "tracking_no": f"ZT{asked['id']:08d}"},
            )
            assert (await store_does(seller, asked["id"], "receipt"))["status"] == "refunding"
            counts["returns"] += 1
        await settle_refunds()
    print(dict(counts))

    # Every after-sales window closes: the orders settle, the platform takes its fee.
    later = utcnow() + timedelta(days=8)
    await worker.drain(later, max_rounds=1000)
    await sim.process_due()
    await worker.drain(later + timedelta(minutes=2), max_rounds=1000)

    ledger = await store_balances(runtime)
    for seller in sellers:
        assert ledger[(K.STORE_FROZEN, seller.store_id)] == 0, "every order settled"
        available = ledger[(K.STORE_AVAILABLE, seller.store_id)]
        print(f"store {seller.store_id} ({seller.sub_mchid}): {available}")
        assert funds.balance(sim.store, f"mch:{seller.sub_mchid}") == (available, 0)
    platform_fee = sum(v for (kind, _), v in ledger.items() if kind == K.PLATFORM_FEE)
    assert funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (platform_fee, 0)
    assert (await report(runtime)).violations == []
