"""Commission rows through the API: estimated when the order is placed, frozen when it is paid,
settled when its after-sales window closes (the ledger cutting it from the store's share),
cancelled when it closes unpaid or is refunded in full first; refunds before settlement lower
it in proportion, refunds after settlement are clawed back. The ledger checks clean."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from tests.affiliates.commission_support import (
    PAYOUT,
    Seller,
    earnings,
    follow_link,
    set_payout,
    statement_url,
)
from tests.affiliates.conftest import POLICY, Pool
from tests.ledger.support import order_kinds, report
from tests.support import Headers, expect
from weshop.core.clock import CHINA_TZ, utcnow
from weshop.core.worker import Worker
from weshop.ledger import service as ledger
from weshop.ledger.chart_of_accounts import Term, term_totals
from weshop.ledger.models import AccountKind, EntryKind, JournalEntry

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # 28 characters, the shape of a WeChat openid


async def seller(pool: Pool, **body) -> Seller:
    headers, record = await pool.promoter(**body)
    return Seller(headers, record)


async def buy(
    pool: Pool, shopper: Headers, address_id: int, quantity: int = 2, sku: int = 0
) -> dict:
    placed = expect(
        await pool.api.place_order(shopper, address_id, [(pool.sku_ids[sku], quantity)]), 201
    )
    return placed["orders"][0]


async def pay(pool: Pool, shopper: Headers, order: dict) -> dict:
    await pool.api.confirm_in_cashier(await pool.api.start_payment(shopper, order["id"]))
    return await pool.api.order(shopper, order["id"])


async def complete(pool: Pool, shopper: Headers, order_id: int) -> None:
    merchant = f"/api/v1/merchant/stores/{pool.store_id}/orders/{order_id}"
    expect(
        await pool.client.post(
            f"{merchant}/shipments",
            json={"packages": [{"carrier": "顺丰", "tracking_no": f"SF{order_id:08d}"}]},
            headers=pool.owner,
        ),
        200,
    )
    expect(
        await pool.client.post(f"/api/v1/me/orders/{order_id}/confirm-receipt", headers=shopper),
        200,
    )


async def refund(pool: Pool, runner, order: dict, amount: int) -> None:
    line = order["lines"][0]["id"]
    expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{pool.store_id}/orders/{order['id']}/refunds",
            json={"lines": [{"order_line_id": line, "amount_fen": amount}], "reason": "退款"},
            headers=pool.owner,
        ),
        201,
    )
    await runner.run()


async def settle(runner) -> None:
    await runner.run(utcnow() + timedelta(days=8))


async def referred_order(pool: Pool, promoter: Seller, quantity: int = 2, sku: int = 0):
    shopper, address_id = await pool.api.buyer()
    await follow_link(pool, promoter, shopper)
    return shopper, await buy(pool, shopper, address_id, quantity, sku)


async def ledger_terms(runtime, order_id: int) -> dict[Term, int]:
    return term_totals(await order_kinds(runtime, order_id))


async def test_a_commission_is_estimated_then_frozen_then_settled(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter)
    assert order["payable_fen"] == 2 * 1999

    found = await earnings(pool, promoter)
    assert found["estimated_fen"] == 399 and found["frozen_fen"] == 0
    (line,) = found["lines"]
    assert (line["status"], line["base_fen"], line["rate_bps"], line["level"]) == (
        "estimated",
        3998,
        1000,
        1,
    )
    assert set(line) >= {"order_no", "product"} and not {"user_id", "buyer", "phone"} & set(line)

    order = await pay(pool, shopper, order)
    found = await earnings(pool, promoter)
    assert (found["estimated_fen"], found["frozen_fen"]) == (0, 399)

    await complete(pool, shopper, order["id"])
    await settle(runner)
    found = await earnings(pool, promoter)
    assert (found["frozen_fen"], found["settled_fen"], found["paid_out_fen"]) == (0, 399, 0)
    # No payout account when it settled: the store holds it, owed to the promoter.
    assert found["owed_fen"] == 399 and found["payout_account_set"] is False
    balance = expect(
        await pool.client.get(
            f"/api/v1/merchant/stores/{pool.store_id}/finance/balance", headers=pool.owner
        ),
        200,
    )
    assert (balance["commission_fen"], balance["commission_held_fen"]) == (399, 399)
    terms = await ledger_terms(api.runtime, order["id"])
    assert terms[Term.COMMISSION] == 399
    assert terms[Term.PAID] == sum(terms[t] for t in Term if t != Term.PAID)
    assert (await report(api.runtime)).violations == []


async def test_an_order_closed_unpaid_cancels_its_commission(pool: Pool):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter)
    expect(
        await pool.client.post(f"/api/v1/me/orders/{order['id']}/cancel", json={}, headers=shopper),
        200,
    )
    found = await earnings(pool, promoter)
    assert found["estimated_fen"] == 0 and found["lines"][0]["status"] == "cancelled"


async def test_a_refund_before_settlement_lowers_it_in_proportion(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1500)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter)
    order = await pay(pool, shopper, order)
    await refund(pool, runner, order, 1000)
    line = (await earnings(pool, promoter))["lines"][0]
    # 15% of the 2,998 fen kept, rounded down once.
    assert (line["status"], line["refunded_fen"], line["amount_fen"]) == ("frozen", 1000, 449)
    await refund(pool, runner, order, 2998)
    found = await earnings(pool, promoter)
    assert found["lines"][0]["status"] == "cancelled" and found["frozen_fen"] == 0
    assert (await report(api.runtime)).violations == []


async def test_a_refund_after_settlement_is_clawed_back_and_carried(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter)
    order = await pay(pool, shopper, order)
    await complete(pool, shopper, order["id"])
    await settle(runner)
    await refund(pool, runner, order, 1999)
    found = await earnings(pool, promoter)
    line = found["lines"][0]
    assert (line["status"], line["settled_fen"], line["amount_fen"]) == ("settled", 399, 199)
    assert line["clawed_back_fen"] == 200 == found["clawed_back_fen"]
    kinds = await order_kinds(api.runtime, order["id"])
    assert kinds[AccountKind.COMMISSION_OWED] == 399
    assert kinds[AccountKind.COMMISSION_CLAWBACK] == -200
    terms = await ledger_terms(api.runtime, order["id"])
    assert terms[Term.PAID] == sum(terms[t] for t in Term if t != Term.PAID)
    # A repeated refund notice or worker round changes nothing.
    await runner.run(utcnow() + timedelta(days=9))
    assert await order_kinds(api.runtime, order["id"]) == kinds
    assert (await report(api.runtime)).violations == []


async def test_the_inviter_earns_the_agency_rate_as_second_level(pool: Pool, api, runner):
    expect(await pool.client.put(POLICY, json={"max_depth": 2}, headers=pool.operator), 200)
    await pool.pooled(rate_bps=1000, agency_rate_bps=300)
    inviter = await seller(pool)
    invited = await seller(pool, inviter_code=inviter.record["code"])
    assert invited.record["parent_id"] == inviter.id
    shopper, order = await referred_order(pool, invited)
    # 13% of 3,998 is 519 (rounded down once), split 10:3 by the one allocator.
    first = (await earnings(pool, invited))["lines"][0]
    second = (await earnings(pool, inviter))["lines"][0]
    assert (first["level"], first["amount_fen"]) == (1, 399)
    assert (second["level"], second["amount_fen"]) == (2, 120)
    await pay(pool, shopper, order)
    await complete(pool, shopper, order["id"])
    await settle(runner)
    assert (await ledger_terms(api.runtime, order["id"]))[Term.COMMISSION] == 519
    assert (await report(api.runtime)).violations == []


async def test_a_promoter_sees_only_their_own_lines(pool: Pool):
    await pool.pooled(rate_bps=1000)
    mine, theirs = await seller(pool), await seller(pool)
    await referred_order(pool, mine)
    await referred_order(pool, theirs)
    await referred_order(pool, theirs)
    assert len((await earnings(pool, mine))["lines"]) == 1
    first = await earnings(pool, theirs, limit=1)
    assert len(first["lines"]) == 1 and first["next_cursor"]
    rest = await earnings(pool, theirs, limit=1, cursor=first["next_cursor"])
    assert len(rest["lines"]) == 1 and rest["lines"][0]["id"] != first["lines"][0]["id"]


async def test_only_approved_promoters_have_earnings(pool: Pool, api):
    shopper = await api.sign_in()
    for answer in (
        await pool.client.get("/api/v1/me/promoter/earnings", headers=shopper),
        await pool.client.put(PAYOUT, json={"openid": OPENID}, headers=shopper),
        await pool.client.get(statement_url("2026-12"), headers=shopper),
    ):
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_a_promoter"


async def test_a_payout_account_must_be_an_openid(pool: Pool):
    promoter = await seller(pool)
    for bad in ("short", "x" * 29, "o" * 27 + "!"):
        answer = await pool.client.put(PAYOUT, json={"openid": bad}, headers=promoter.headers)
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "invalid_openid"
    await set_payout(pool, promoter, OPENID)
    assert (await earnings(pool, promoter))["payout_account_set"] is True


async def test_the_monthly_statement_withholds_labour_remuneration_tax(pool: Pool, runner):
    dearer = pool.sku_ids[1]
    expect(
        await pool.client.patch(
            f"/api/v1/merchant/stores/{pool.store_id}/products/{pool.product['id']}/skus/{dearer}",
            json={"price_fen": 16_200},
            headers=pool.owner,
        ),
        200,
    )
    # 25% with the basic plan's 5% fee: the 30% WeChat Pay splits at most.
    await pool.pooled(rate_bps=2500)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter, quantity=30, sku=1)
    order = await pay(pool, shopper, order)
    await complete(pool, shopper, order["id"])
    await settle(runner)
    settled = (await earnings(pool, promoter))["settled_fen"]
    assert settled == 121_500  # 30 × 162 yuan at 25%
    month = utcnow().astimezone(CHINA_TZ).strftime("%Y-%m")
    answer = await pool.client.get(statement_url(month), headers=promoter.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = [row.split(",") for row in answer.text.strip().splitlines()]
    assert rows[1][6] == str(settled)
    summary = {row[0]: int(row[1]) for row in rows if len(row) == 2}
    # Income ≤ 4,000 yuan: 800 yuan off, 20% of the rest: 83 yuan.
    assert summary["income_fen"] == settled and summary["deduction_fen"] == 80_000
    assert summary["tax_withheld_fen"] == 8_300 and summary["net_fen"] == settled - 8_300
    empty = await pool.client.get(statement_url("2020-01"), headers=promoter.headers)
    assert "tax_withheld_fen,0" in empty.text
    bad = await pool.client.get(statement_url("2026-13"), headers=promoter.headers)
    assert bad.status_code == 422


async def test_a_claw_back_is_repaid_from_the_next_settlement_at_the_store(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    await set_payout(pool, promoter, OPENID)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    await refund(pool, runner, first, 1999)  # 200 of the 399 paid out is clawed back

    shopper, second = await referred_order(pool, promoter)
    second = await pay(pool, shopper, second)
    await complete(pool, shopper, second["id"])
    await runner.run(utcnow() + timedelta(days=20))
    found = await earnings(pool, promoter)
    latest = found["lines"][0]
    assert (latest["settled_fen"], latest["carried_fen"], latest["paid_out_fen"]) == (399, 200, 199)
    assert (found["clawed_back_fen"], found["carried_fen"]) == (200, 200)
    assert (found["paid_out_fen"], found["owed_fen"]) == (399 + 199, 0)
    first_kinds = await order_kinds(api.runtime, first["id"])
    second_kinds = await order_kinds(api.runtime, second["id"])
    assert first_kinds[AccountKind.COMMISSION_CLAWBACK] == -200
    assert second_kinds[AccountKind.COMMISSION_CLAWBACK] == 200
    assert second_kinds[AccountKind.PROMOTER_COMMISSION] == 199
    assert (await ledger_terms(api.runtime, second["id"]))[Term.COMMISSION] == 399
    assert (await report(api.runtime)).violations == []


async def test_two_settlements_at_once_repay_a_claw_back_once(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    await set_payout(pool, promoter, OPENID)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    await refund(pool, runner, first, 1999)  # 200 clawed back
    later = []
    for _ in range(2):
        shopper, order = await referred_order(pool, promoter)
        await pay(pool, shopper, order)
        await complete(pool, shopper, order["id"])
        later.append(order["id"])

    # Two workers settle the two orders at the same moment, one message each.
    workers = [
        Worker(api.runtime.db, api.runtime.handlers, api.runtime, batch_size=1) for _ in "ab"
    ]
    due = utcnow() + timedelta(days=20)
    await asyncio.gather(*(worker.drain(due) for worker in workers))

    carried = [
        (await order_kinds(api.runtime, order_id)).get(AccountKind.COMMISSION_CLAWBACK, 0)
        for order_id in later
    ]
    assert sorted(carried) == [0, 200]
    found = await earnings(pool, promoter)
    assert (found["carried_fen"], found["paid_out_fen"]) == (200, 399 + 2 * 399 - 200)
    assert (await report(api.runtime)).violations == []


async def test_a_reversed_settlement_settles_its_commission_anew(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, order = await referred_order(pool, promoter)
    order = await pay(pool, shopper, order)
    await complete(pool, shopper, order["id"])
    await settle(runner)
    await refund(pool, runner, order, 1999)
    settled = await order_kinds(api.runtime, order["id"])
    async with api.runtime.db.session(write=False) as session:
        settlement = await session.scalar(
            select(JournalEntry.id).where(
                JournalEntry.order_id == order["id"], JournalEntry.kind == EntryKind.SETTLEMENT
            )
        )
    async with api.runtime.db.transaction() as session:
        _, reposted = await ledger.reverse_entry(
            session, settlement, reason="重新结算", actor_id=1, now=utcnow() + timedelta(days=9)
        )
    assert reposted is not None and reposted.kind == EntryKind.SETTLEMENT
    assert await order_kinds(api.runtime, order["id"]) == settled
    assert (await earnings(pool, promoter))["settled_fen"] == 399
    assert (await report(api.runtime)).violations == []


async def test_commission_owed_is_paid_from_the_next_settlement_once_an_account_is_set(
    pool: Pool, api, runner
):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    assert (await earnings(pool, promoter))["owed_fen"] == 399

    # Another store order with no promoter settles before the account is set: nothing paid.
    shopper, address_id = await api.buyer()
    unreferred = await pay(pool, shopper, await buy(pool, shopper, address_id))
    await complete(pool, shopper, unreferred["id"])
    await settle(runner)
    assert AccountKind.COMMISSION_OWED not in await order_kinds(api.runtime, unreferred["id"])

    await set_payout(pool, promoter, OPENID)
    assert (await earnings(pool, promoter))["owed_fen"] == 399
    shopper, address_id = await api.buyer()
    second = await pay(pool, shopper, await buy(pool, shopper, address_id))
    await complete(pool, shopper, second["id"])
    await runner.run(utcnow() + timedelta(days=20))

    found = await earnings(pool, promoter)
    assert (found["settled_fen"], found["paid_out_fen"], found["owed_fen"]) == (399, 399, 0)
    assert found["lines"][0]["paid_out_fen"] == 399
    kinds = await order_kinds(api.runtime, second["id"])
    # Booked on the order whose split carries it: out of what the store owed, to the promoter.
    assert kinds[AccountKind.COMMISSION_OWED] == -399
    assert kinds[AccountKind.PROMOTER_COMMISSION] == 399
    terms = await ledger_terms(api.runtime, second["id"])
    assert terms[Term.COMMISSION] == 0
    assert terms[Term.PAID] == sum(terms[t] for t in Term if t != Term.PAID)
    assert (await order_kinds(api.runtime, first["id"]))[AccountKind.COMMISSION_OWED] == 399
    assert (await report(api.runtime)).violations == []


async def test_owed_commission_beyond_an_orders_money_waits_for_the_next(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, first = await referred_order(pool, promoter, quantity=30)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    owed = (await earnings(pool, promoter))["owed_fen"]
    assert owed == 5_997  # 10% of 30 × 19.99 yuan

    await set_payout(pool, promoter, OPENID)
    carried = []
    for n, quantity in enumerate((5, 2, 2)):  # orders of the store, each settled in turn
        shopper, address_id = await api.buyer()
        order = await buy(pool, shopper, address_id, quantity=quantity, sku=1)
        order = await pay(pool, shopper, order)
        if n == 0:  # mostly refunded: the store's money of it is less than the ratio allows
            await refund(pool, runner, order, 20_500)
        await complete(pool, shopper, order["id"])
        await runner.run(utcnow() + timedelta(days=8 + 12 * len(carried)))
        kinds = await order_kinds(api.runtime, order["id"])
        # The split carries at most 30% of the payment (WeChat Pay's default maximum split
        # ratio), the fee included, and no more than the store's money of the order.
        ratio_room = -kinds[AccountKind.PROVIDER_CLEARING] * 3000 // 10_000
        ratio_room -= kinds[AccountKind.PLATFORM_FEE]
        store_money = kinds[AccountKind.STORE_AVAILABLE]
        paid = -kinds.get(AccountKind.COMMISSION_OWED, 0)
        assert paid == min(owed - sum(carried), store_money, ratio_room)
        assert kinds[AccountKind.PROMOTER_COMMISSION] == paid
        if n == 0:
            assert paid == store_money < ratio_room
        if n == 1:
            assert paid == ratio_room < min(store_money, owed - sum(carried))
        carried.append(paid)
    assert sum(carried) == owed
    found = await earnings(pool, promoter)
    assert (found["paid_out_fen"], found["owed_fen"]) == (owed, 0)
    assert (await report(api.runtime)).violations == []


async def test_owed_commission_nets_against_a_claw_back(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    await refund(pool, runner, first, 1999)  # 200 of the 399 owed is clawed back
    found = await earnings(pool, promoter)
    assert (found["owed_fen"], found["clawed_back_fen"]) == (399, 200)

    await set_payout(pool, promoter, OPENID)
    shopper, second = await referred_order(pool, promoter)
    second = await pay(pool, shopper, second)
    await complete(pool, shopper, second["id"])
    await runner.run(utcnow() + timedelta(days=20))

    found = await earnings(pool, promoter)
    # The 200 clawed back cancels out of the 399 owed; the 199 left and the new 399 are sent.
    assert (found["carried_fen"], found["owed_fen"]) == (200, 0)
    assert found["paid_out_fen"] == 199 + 399
    kinds = await order_kinds(api.runtime, second["id"])
    assert kinds[AccountKind.COMMISSION_OWED] == -399
    assert kinds[AccountKind.COMMISSION_CLAWBACK] == 200
    assert kinds[AccountKind.PROMOTER_COMMISSION] == 399 + 199
    assert (await report(api.runtime)).violations == []


async def test_two_settlements_at_once_pay_owed_commission_once(pool: Pool, api, runner):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    await set_payout(pool, promoter, OPENID)
    later = []
    for _ in range(2):
        shopper, order = await referred_order(pool, promoter)
        await pay(pool, shopper, order)
        await complete(pool, shopper, order["id"])
        later.append(order["id"])

    workers = [
        Worker(api.runtime.db, api.runtime.handlers, api.runtime, batch_size=1) for _ in "ab"
    ]
    due = utcnow() + timedelta(days=20)
    await asyncio.gather(*(worker.drain(due) for worker in workers))

    paid = [
        -(await order_kinds(api.runtime, order_id)).get(AccountKind.COMMISSION_OWED, 0)
        for order_id in later
    ]
    assert sorted(paid) == [0, 399]
    found = await earnings(pool, promoter)
    assert (found["paid_out_fen"], found["owed_fen"]) == (3 * 399, 0)
    assert (await report(api.runtime)).violations == []


async def test_a_reversed_settlement_that_paid_owed_commission_pays_it_as_it_did(
    pool: Pool, api, runner
):
    await pool.pooled(rate_bps=1000)
    promoter = await seller(pool)
    shopper, first = await referred_order(pool, promoter)
    first = await pay(pool, shopper, first)
    await complete(pool, shopper, first["id"])
    await settle(runner)
    await refund(pool, runner, first, 1999)  # 200 of the 399 owed is clawed back
    await set_payout(pool, promoter, OPENID)
    shopper, address_id = await api.buyer()
    second = await pay(pool, shopper, await buy(pool, shopper, address_id))
    await complete(pool, shopper, second["id"])
    await runner.run(utcnow() + timedelta(days=20))
    settled = await order_kinds(api.runtime, second["id"])
    assert (settled[AccountKind.COMMISSION_OWED], settled[AccountKind.COMMISSION_CLAWBACK]) == (
        -399,
        200,
    )
    before = await earnings(pool, promoter)
    assert (before["carried_fen"], before["paid_out_fen"], before["owed_fen"]) == (200, 199, 0)

    async with api.runtime.db.session(write=False) as session:
        settlement = await session.scalar(
            select(JournalEntry.id).where(
                JournalEntry.order_id == second["id"], JournalEntry.kind == EntryKind.SETTLEMENT
            )
        )
    async with api.runtime.db.transaction() as session:
        _, reposted = await ledger.reverse_entry(
            session, settlement, reason="重新结算", actor_id=1, now=utcnow() + timedelta(days=20)
        )
    assert reposted is not None
    assert await order_kinds(api.runtime, second["id"]) == settled
    assert await earnings(pool, promoter) == before
    # Nothing is owed again: the next settlement of the store pays nothing of it.
    shopper, address_id = await api.buyer()
    third = await pay(pool, shopper, await buy(pool, shopper, address_id))
    await complete(pool, shopper, third["id"])
    await runner.run(utcnow() + timedelta(days=40))
    assert AccountKind.COMMISSION_OWED not in await order_kinds(api.runtime, third["id"])
    assert (await report(api.runtime)).violations == []
