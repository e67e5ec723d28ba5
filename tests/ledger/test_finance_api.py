"""Store finance over the API: balance, statement by day with cursor pages, CSV, an order's
ledger; who may read it; the platform's view of every store."""

from __future__ import annotations

import csv
import io

from tests.ledger.support import (
    after_sales_closed,
    complete,
    fee_of,
    open_market,
    paid_order,
    refund,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.ledger.journal import business_day


async def test_balance_statement_and_csv(api, runtime, runner, worker):
    market = await open_market(api)
    client, owner = api.client, market.owner
    first = await paid_order(market, [(market.skus[0], 1)])
    second = await paid_order(market, [(market.skus[2], 2), (market.skus[3], 1)])
    await refund(runner, market, second["id"], {second["lines"][1]["id"]: 7})
    await complete(market, first["id"])
    await worker.drain(after_sales_closed())
    paid_first, paid_second = first["payable_fen"], second["payable_fen"]

    balance = expect(await client.get(market.merchant("/finance/balance"), headers=owner), 200)
    assert balance == {
        "store_id": market.store_id,
        "paid_fen": paid_first + paid_second,
        "frozen_fen": paid_second - 7,
        "fee_due_fen": fee_of(paid_second - 7),
        "subsidy_due_fen": 0,
        "available_fen": paid_first - fee_of(paid_first),
        "fee_paid_fen": fee_of(paid_first),
        "refunded_fen": 7,
        "subsidy_fen": 0,
        "commission_fen": 0,
        "commission_held_fen": 0,
    }

    # Newest first, two a page: settlement, refund, payment, payment.
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = expect(
            await client.get(market.merchant("/finance/statement"), params=params, headers=owner),
            200,
        )
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(e["kind"], e["order_id"]) for e in seen] == [
        ("settlement", first["id"]),
        ("refund", second["id"]),
        ("payment", second["id"]),
        ("payment", first["id"]),
    ]
    assert seen[0]["available_fen"] == paid_first - fee_of(paid_first)
    assert seen[0]["fee_fen"] == fee_of(paid_first) and seen[0]["frozen_fen"] == -paid_first
    assert seen[1]["refunded_fen"] == 7 and seen[1]["order_no"] == second["order_no"]

    today = business_day(utcnow())
    settled_on = business_day(after_sales_closed())
    days = expect(
        await client.get(
            market.merchant("/finance/statement/days"),
            params={"day_from": today.isoformat(), "day_to": settled_on.isoformat()},
            headers=owner,
        ),
        200,
    )
    assert [(d["day"], d["entries"]) for d in days] == [
        (settled_on.isoformat(), 1),
        (today.isoformat(), 3),
    ]
    assert days[1]["paid_fen"] == paid_first + paid_second

    exported = await client.get(
        market.merchant("/finance/statement.csv"),
        params={"day_from": today.isoformat(), "day_to": settled_on.isoformat()},
        headers=owner,
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], int(r["order_id"])) for r in rows] == [
        (e["kind"], e["order_id"]) for e in reversed(seen)
    ]
    assert sum(int(r["paid_fen"]) for r in rows) == paid_first + paid_second

    ledger = expect(
        await client.get(market.merchant(f"/finance/orders/{first['id']}"), headers=owner), 200
    )
    assert ledger["settled"] is True
    assert ledger["paid_fen"] == ledger["store_released_fen"] + ledger["platform_fen"]
    assert [e["kind"] for e in ledger["entries"]] == ["payment", "settlement"]


async def test_finance_is_for_roles_with_the_right_and_only_of_their_store(api):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    finance = await api.add_staff(market.store_id, market.owner, "finance")
    operator_role = await api.add_staff(market.store_id, market.owner, "operator")
    balance = market.merchant("/finance/balance")
    assert (await api.client.get(balance, headers=finance)).status_code == 200
    assert (await api.client.get(balance, headers=operator_role)).status_code == 403
    other = await open_market(api, shipping=False)
    assert (await api.client.get(balance, headers=other.owner)).status_code == 404
    foreign_order = other.merchant(f"/finance/orders/{order['id']}")
    assert (await api.client.get(foreign_order, headers=other.owner)).status_code == 404
    reversed_range = await api.client.get(
        market.merchant("/finance/statement.csv"),
        params={"day_from": "2026-02-01", "day_to": "2026-01-01"},
        headers=finance,
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["error"]["code"] == "invalid_day_range"
    too_long = await api.client.get(
        market.merchant("/finance/statement/days"),
        params={"day_from": "2024-01-01", "day_to": "2026-01-01"},
        headers=finance,
    )
    assert too_long.status_code == 422


async def test_the_platform_sees_every_stores_balance(api):
    first = await open_market(api, shipping=False)
    second = await open_market(api, shipping=False)
    order = await paid_order(second, [(second.skus[1], 2)])
    operator = await api.operator()
    page = expect(
        await api.client.get(
            "/api/v1/platform/ledger/balances", params={"limit": 1}, headers=operator
        ),
        200,
    )
    assert [b["store_id"] for b in page["items"]] == [second.store_id]
    assert page["items"][0]["frozen_fen"] == order["payable_fen"]
    rest = expect(
        await api.client.get(
            "/api/v1/platform/ledger/balances",
            params={"cursor": page["next_cursor"]},
            headers=operator,
        ),
        200,
    )
    assert [b["store_id"] for b in rest["items"]] == [first.store_id]
    assert rest["items"][0]["paid_fen"] == 0
    refused = await api.client.get("/api/v1/platform/ledger/balances", headers=first.owner)
    assert refused.status_code == 403
