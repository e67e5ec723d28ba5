"""Helpers of the ledger tests: a store with several products and shipping, orders driven
through the API with the sandbox provider, and the ledger read back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from tests.logistics.support import create_template
from tests.support import Api, Headers, Runner, expect
from weshop.core.clock import utcnow
from weshop.ledger.chart_of_accounts import Term, term_totals
from weshop.ledger.check import CheckReport, check_ledger
from weshop.ledger.models import AccountKind, EntryKind, JournalEntry, LedgerAccount, Posting

PRICES = (1999, 350, 12345, 7)


@dataclass
class Market:
    api: Api
    store_id: int
    owner: Headers
    shopper: Headers
    address_id: int
    products: list[dict]

    @property
    def skus(self) -> list[int]:
        return [product["skus"][0]["id"] for product in self.products]

    def merchant(self, path: str) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}{path}"


async def open_market(
    api: Api, prices: tuple[int, ...] = PRICES, *, shipping: bool = True
) -> Market:
    """A store with one product per price (plenty of stock) and, unless told otherwise, a
    shipping fee of 8 yuan for the first piece and 2 for each further one."""
    store, owner = await api.create_store(await api.operator())
    products = [
        await api.create_product(store["id"], owner, title=f"商品{i}", price_fen=price, stock=9999)
        for i, price in enumerate(prices)
    ]
    if shipping:
        await create_template(api, store["id"], owner, free_over_fen=None)
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    return Market(api, store["id"], owner, shopper, address["id"], products)


async def place(market: Market, items: list[tuple[int, int]]) -> dict:
    placed = expect(await market.api.place_order(market.shopper, market.address_id, items), 201)
    return placed["orders"][0]


async def pay(market: Market, order: dict) -> dict:
    payment = await market.api.start_payment(market.shopper, order["id"])
    await market.api.confirm_in_cashier(payment)
    return await market.api.order(market.shopper, order["id"])


async def paid_order(market: Market, items: list[tuple[int, int]]) -> dict:
    return await pay(market, await place(market, items))


async def ship(market: Market, order_id: int) -> None:
    expect(
        await market.api.client.post(
            market.merchant(f"/orders/{order_id}/shipments"),
            json={"packages": [{"carrier": "顺丰", "tracking_no": f"SF{order_id:08d}"}]},
            headers=market.owner,
        ),
        200,
    )


async def complete(market: Market, order_id: int) -> None:
    await ship(market, order_id)
    expect(
        await market.api.client.post(
            f"/api/v1/me/orders/{order_id}/confirm-receipt", headers=market.shopper
        ),
        200,
    )


async def ask_refund(
    market: Market, order_id: int, lines: dict[int, int], key: str | None = None
) -> httpx.Response:
    headers = dict(market.owner, **({"Idempotency-Key": key} if key else {}))
    return await market.api.client.post(
        market.merchant(f"/orders/{order_id}/refunds"),
        json={
            "lines": [{"order_line_id": line, "amount_fen": fen} for line, fen in lines.items()],
            "reason": "部分退款",
        },
        headers=headers,
    )


async def refund(runner: Runner, market: Market, order_id: int, lines: dict[int, int]) -> dict:
    """A staff refund, sent to the provider by the worker."""
    answer = expect(await ask_refund(market, order_id, lines), 201)
    await runner.run()
    return answer


def after_sales_closed(days: int = 8) -> datetime:
    return utcnow() + timedelta(days=days)


async def report(runtime) -> CheckReport:
    async with runtime.db.session(write=False) as session, session.begin():
        return await check_ledger(session)


async def order_terms(runtime, order_id: int) -> dict[Term, int]:
    return term_totals(await order_kinds(runtime, order_id))


async def order_kinds(runtime, order_id: int) -> dict[AccountKind, int]:
    async with runtime.db.session(write=False) as session:
        rows = await session.execute(
            select(LedgerAccount.kind, Posting.amount_fen)
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(Posting.order_id == order_id)
        )
        found: dict[AccountKind, int] = defaultdict(int)
        for kind, amount in rows:
            found[kind] += amount
        return dict(found)


async def entry_kinds(runtime, order_id: int) -> list[EntryKind]:
    async with runtime.db.session(write=False) as session:
        rows = await session.scalars(
            select(JournalEntry.kind)
            .where(JournalEntry.order_id == order_id)
            .order_by(JournalEntry.id)
        )
        return list(rows)


def fee_of(fen: int, rate_bp: int = 500) -> int:
    """The fee on ``fen`` at one rate, rounded half up: the model the tests hold it to."""
    return (fen * rate_bp + 5000) // 10000
