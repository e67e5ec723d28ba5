"""``weshop ledger check``: a clean ledger passes, a corrupted posting is reported and makes
the command fail; no store money ever sits in a platform-owned account."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from sqlalchemy import select, text
from typer.testing import CliRunner

from tests.ledger.support import (
    after_sales_closed,
    complete,
    open_market,
    paid_order,
    refund,
    report,
)
from weshop import cli
from weshop.ledger.chart_of_accounts import PLATFORM_KINDS, SPECS, account_ids, keyed_account_ids
from weshop.ledger.models import AccountKind as K
from weshop.ledger.models import (
    AccountOwner,
    EntryKind,
    JournalEntry,
    LedgerAccount,
    OrderFeeTerms,
    Posting,
)
from weshop.ledger.service import order_facts
from weshop.ledger.targets import targets
from weshop.orders.models import Order, OrderLine

SECRET = "test-secret-not-for-production"


async def run_check(settings, *args: str):
    env = {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(settings.data_dir),
        "WESHOP_SECRET_KEY": SECRET,
    }
    return await asyncio.to_thread(CliRunner().invoke, cli.app, ["ledger", "check", *args], env=env)


def test_the_command_explains_itself() -> None:
    result = CliRunner().invoke(cli.app, ["ledger", "check", "--help"])
    assert result.exit_code == 0
    assert "Verify the ledger" in result.output and "--database-url" in result.output
    assert "check" in CliRunner().invoke(cli.app, ["ledger", "--help"]).output


async def test_a_corrupted_posting_is_reported_and_fails_the_command(api, runtime, settings):
    market = await open_market(api)
    order = await paid_order(market, [(market.skus[0], 1)])
    clean = await run_check(settings)
    assert clean.exit_code == 0, clean.output
    assert "Ledger OK: 1 entries and 1 orders checked." in clean.output

    async with runtime.db.transaction() as session:
        entry = await session.scalar(
            select(JournalEntry).where(JournalEntry.order_id == order["id"])
        )
        account = await session.scalar(
            select(LedgerAccount.id).where(LedgerAccount.code == f"store_frozen:{market.store_id}")
        )
        # Behind the ledger's back, as a bad migration or a hand-made fix would.
        await session.execute(
            text(
                "INSERT INTO postings (entry_id, account_id, store_id, order_id, amount_fen) "
                "VALUES (:entry, :account, :store, :order, 100)"
            ),
            {"entry": entry.id, "account": account, "store": market.store_id, "order": order["id"]},
        )
    codes = {violation.code for violation in (await report(runtime)).violations}
    assert codes == {"entry_unbalanced", "order_unbalanced"}

    failed = await run_check(settings, "--database-url", settings.database_url)
    assert failed.exit_code == 1
    assert f"[entry_unbalanced] entry {entry.id}: postings sum to 100, not 0" in failed.output
    assert f"[order_unbalanced] order {order['id']}: paid" in failed.output
    assert "2 violations" in failed.output


async def test_money_put_in_a_platform_account_early_is_reported(api, runtime):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    async with runtime.db.transaction() as session:
        entry = await session.scalar(
            select(JournalEntry).where(JournalEntry.order_id == order["id"])
        )
        ids = await account_ids(session, market.store_id, [K.STORE_FEE_HELD, K.PLATFORM_FEE])
        for kind, amount in ((K.STORE_FEE_HELD, -50), (K.PLATFORM_FEE, 50)):
            await session.execute(
                text(
                    "INSERT INTO postings (entry_id, account_id, store_id, order_id, amount_fen) "
                    "VALUES (:entry, :account, :store, :order, :amount)"
                ),
                {
                    "entry": entry.id,
                    "account": ids[kind],
                    "store": market.store_id,
                    "order": order["id"],
                    "amount": amount,
                },
            )
    violations = (await report(runtime)).violations
    assert [v.code for v in violations] == ["store_money_in_platform_account"]
    assert "holds 50 of it (not yet settled" in violations[0].message


async def test_no_store_money_ever_sits_in_a_platform_account(api, runtime, runner, worker):
    """Walk every posting in order: a platform account only ever holds, for an order, the fee
    due once it is settled, and only ever gives subsidies."""
    market = await open_market(api)
    settled = await paid_order(market, [(market.skus[0], 2), (market.skus[1], 1)])
    await complete(market, settled["id"])
    refunded = await paid_order(market, [(market.skus[2], 1)])
    await refund(runner, market, refunded["id"], {refunded["lines"][0]["id"]: 4000})
    await worker.drain(after_sales_closed())
    await refund(runner, market, settled["id"], {settled["lines"][1]["id"]: 350})

    async with runtime.db.session(write=False) as session:
        rows = (
            await session.execute(
                select(Posting, LedgerAccount, JournalEntry.kind)
                .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
                .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                .order_by(Posting.entry_id, Posting.id)
            )
        ).all()
        fee_due = {}  # the most fee each order can owe: nothing refunded
        for order_id in (settled["id"], refunded["id"]):
            order = await session.get_one(Order, order_id)
            lines = list(
                await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
            )
            facts = order_facts(order, lines, await session.get(OrderFeeTerms, order_id))
            fee_due[order_id] = sum(targets(facts, facts.payable, {}).fee.values())
    platform: dict[tuple[int, K], int] = defaultdict(int)
    assert rows
    for posting, account, entry_kind in rows:
        assert account.owner == SPECS[account.kind].owner
        if account.owner == AccountOwner.PLATFORM:
            assert account.kind in PLATFORM_KINDS and account.store_id is None
            platform[(posting.order_id, account.kind)] += posting.amount_fen
            held = platform[(posting.order_id, account.kind)]
            if account.kind == K.PLATFORM_FEE:
                assert entry_kind in (EntryKind.SETTLEMENT, EntryKind.REFUND)
                assert 0 <= held <= fee_due[posting.order_id]
            else:
                assert held <= 0
        else:
            assert account.store_id == posting.store_id == market.store_id
    assert platform[(settled["id"], K.PLATFORM_FEE)] > 0
    assert (await report(runtime)).violations == []


async def test_a_store_account_passed_off_as_the_platforms_is_reported(api, runtime):
    market = await open_market(api, shipping=False)
    await paid_order(market, [(market.skus[0], 1)])
    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE ledger_accounts SET owner = 'platform' WHERE code = :code"),
            {"code": f"store_frozen:{market.store_id}"},
        )
    codes = {violation.code for violation in (await report(runtime)).violations}
    assert codes == {"account_off_the_chart", "posting_misplaced"}


async def test_commission_taken_before_settlement_is_reported(api, runtime):
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    async with runtime.db.transaction() as session:
        entry = await session.scalar(
            select(JournalEntry).where(JournalEntry.order_id == order["id"])
        )
        ids = await keyed_account_ids(
            session, market.store_id, [(K.STORE_FROZEN, None), (K.PROMOTER_COMMISSION, 7)]
        )
        for key, amount in (((K.STORE_FROZEN, None), -30), ((K.PROMOTER_COMMISSION, 7), 30)):
            await session.execute(
                text(
                    "INSERT INTO postings (entry_id, account_id, store_id, order_id, "
                    "order_line_id, amount_fen) "
                    "VALUES (:entry, :account, :store, :order, :line, :amount)"
                ),
                {
                    "entry": entry.id,
                    "account": ids[key],
                    "store": market.store_id,
                    "order": order["id"],
                    "line": order["lines"][0]["id"],
                    "amount": amount,
                },
            )
    violations = (await report(runtime)).violations
    assert [v.code for v in violations] == ["commission_before_settlement"]
    assert "30 of commission" in violations[0].message


async def test_commission_owed_paid_beyond_what_was_owed_is_reported(api, runtime, worker):
    """Per order the owed account may go negative (a settlement paying earlier orders' owed
    commission); the store's account of the promoter never may."""
    market = await open_market(api, shipping=False)
    order = await paid_order(market, [(market.skus[0], 1)])
    await complete(market, order["id"])
    await worker.drain(after_sales_closed())
    async with runtime.db.transaction() as session:
        entry = await session.scalar(
            select(JournalEntry).where(
                JournalEntry.order_id == order["id"], JournalEntry.kind == EntryKind.SETTLEMENT
            )
        )
        ids = await keyed_account_ids(
            session, market.store_id, [(K.STORE_AVAILABLE, None), (K.COMMISSION_OWED, 7)]
        )
        for key, amount in (((K.STORE_AVAILABLE, None), 30), ((K.COMMISSION_OWED, 7), -30)):
            await session.execute(
                text(
                    "INSERT INTO postings (entry_id, account_id, store_id, order_id, "
                    "order_line_id, amount_fen) "
                    "VALUES (:entry, :account, :store, :order, :line, :amount)"
                ),
                {
                    "entry": entry.id,
                    "account": ids[key],
                    "store": market.store_id,
                    "order": order["id"],
                    "line": order["lines"][0]["id"],
                    "amount": amount,
                },
            )
    violations = (await report(runtime)).violations
    assert [v.code for v in violations] == ["negative_balance"]
    assert "commission owed is -30" in violations[0].message
