"""Daily reconciliation: WeChat Pay's trade bill (paysim, in-process) against WeShop's payments,
refunds and ledger; the sandbox gateway's records through ``weshop reconcile``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from tests.orders.conftest import Shop, open_shop
from tests.paysim.fixtures import SIM_URL, FakeClock, Inbox, make_client, pay_at_cashier
from tests.support import Api, Runner, expect
from weshop import cli
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.ledger.reconciliation import (
    Difference,
    DifferenceKind,
    MoneyRecord,
    OurSide,
    RecordKind,
    compare,
    our_side,
    wechatpay_records,
)
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider
from weshop.payments.wechatpay.transactions import BEIJING, Direct
from weshop.paysim.app import create_app as create_paysim_app
from weshop.paysim.identity import (
    DIRECT_APPID,
    DIRECT_MCHID,
    MerchantKeys,
    PlatformIdentity,
    new_merchant_keys,
    new_platform,
    register_merchant_keys,
)
from weshop.paysim.simulator import PaySim
from weshop.paysim.store import Store

NOTIFY_PATH = "/api/v1/payments/notify/wechatpay"
D = DifferenceKind
PAYMENT, REFUND = RecordKind.PAYMENT, RecordKind.REFUND


@dataclass
class WechatWorld:
    """paysim with WeShop registered as its merchant: callbacks reach WeShop's endpoint."""

    sim: PaySim
    clock: FakeClock
    pay: WechatPay
    cashier: httpx.AsyncClient

    @property
    def today(self) -> date:
        return self.clock().astimezone(BEIJING).date()


@pytest.fixture(scope="module")
def platform_identity() -> PlatformIdentity:
    return new_platform()[0]


@pytest.fixture(scope="module")
def weshop_keys() -> MerchantKeys:
    return new_merchant_keys()


@pytest.fixture
async def wechat(
    runtime,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    platform_identity: PlatformIdentity,
    weshop_keys: MerchantKeys,
) -> AsyncIterator[WechatWorld]:
    clock = FakeClock(utcnow())
    inbox = Inbox(clock)

    async def deliver(headers, body: bytes) -> int:
        return (await client.post(NOTIFY_PATH, content=body, headers=dict(headers))).status_code

    inbox.handler = deliver
    store = Store(":memory:")
    register_merchant_keys(store, weshop_keys)
    sim = PaySim(store, platform_identity, base_url=SIM_URL, clock=clock, sender=inbox)
    transport = httpx.ASGITransport(app=create_paysim_app(sim))
    pay = WechatPay(
        make_client(transport, weshop_keys, platform_identity, clock, DIRECT_MCHID),
        Direct(DIRECT_MCHID, DIRECT_APPID),
    )
    provider = WechatPayProvider(pay, notify_url=f"http://test{NOTIFY_PATH}", trade_type="native")
    monkeypatch.setitem(runtime.components["payment_providers"], "wechatpay", provider)
    async with httpx.AsyncClient(transport=transport, base_url=SIM_URL) as cashier:
        yield WechatWorld(sim, clock, pay, cashier)
    store.close()


async def wechat_paid_order(api: Api, shop: Shop, wechat: WechatWorld) -> tuple[dict, dict]:
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 2)]), 201
    )
    order = placed["orders"][0]
    payment = expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/payments",
            params={"provider": "wechatpay"},
            headers=shop.shopper,
        ),
        201,
    )
    confirmed = await pay_at_cashier(wechat.cashier, code_url=payment["cashier_url"])
    assert "1 条回调被确认" in confirmed.text
    assert (await api.order(shop.shopper, order["id"]))["status"] == "paid"
    return order, payment


async def wechat_refund(
    api: Api, runner: Runner, shop: Shop, wechat: WechatWorld, order: dict, fen: int
) -> dict:
    """A staff refund: accepted as PROCESSING, then asked again once paysim paid it out."""
    refund = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order['id']}/refunds",
            json={"lines": [{"order_line_id": order["lines"][0]["id"], "amount_fen": fen}]},
            headers=shop.owner,
        ),
        201,
    )
    await runner.run()
    await wechat.sim.process_due()
    await runner.run(utcnow() + timedelta(hours=1))
    assert (await api.order(shop.shopper, order["id"]))["refunded_fen"] == fen
    return refund


async def reconcile_wechat(runtime, wechat: WechatWorld, day: date) -> list[Difference]:
    theirs = await wechatpay_records(wechat.pay, day)
    async with runtime.db.session(write=False) as session, session.begin():
        ours = await our_side(session, "wechatpay", day, theirs)
    return compare(theirs, ours)


async def test_a_matching_day_has_no_difference(api, runner, runtime, wechat) -> None:
    shop = await open_shop(api)
    day = wechat.today
    first, _ = await wechat_paid_order(api, shop, wechat)
    await wechat_paid_order(api, shop, wechat)
    await wechat_refund(api, runner, shop, wechat, first, 500)
    wechat.clock.advance(days=1)  # the bill of a day is ready the next day
    records = await wechatpay_records(wechat.pay, day)
    assert sorted(record.kind for record in records) == [PAYMENT, PAYMENT, REFUND]
    assert await reconcile_wechat(runtime, wechat, day) == []
    # A day without trade has no bill, and nothing to differ.
    assert await reconcile_wechat(runtime, wechat, day - timedelta(days=1)) == []


async def test_every_difference_is_listed(api, runner, runtime, wechat) -> None:
    shop = await open_shop(api)
    day = wechat.today
    deleted_order, deleted = await wechat_paid_order(api, shop, wechat)
    _, altered = await wechat_paid_order(api, shop, wechat)
    refunded_order, _ = await wechat_paid_order(api, shop, wechat)
    refund = await wechat_refund(api, runner, shop, wechat, refunded_order, 700)
    async with runtime.db.transaction() as session:
        # Our record of a payment gone (with its ledger entry), another's amount altered,
        # and a refund the provider paid out that WeShop never recorded as succeeded.
        entries = "SELECT id FROM journal_entries WHERE payment_id = :id"
        for statement in (
            f"DELETE FROM postings WHERE entry_id IN ({entries})",
            "DELETE FROM journal_entries WHERE payment_id = :id",
            "DELETE FROM order_fee_terms WHERE order_id = :order_id",
            "DELETE FROM payments WHERE id = :id",
        ):
            await session.execute(
                text(statement), {"id": deleted["id"], "order_id": deleted_order["id"]}
            )
        await session.execute(
            text("UPDATE payments SET amount_fen = amount_fen + 1 WHERE id = :id"),
            {"id": altered["id"]},
        )
        await session.execute(
            text("UPDATE refunds SET status = 'pending' WHERE id = :id"), {"id": refund["id"]}
        )
    wechat.clock.advance(days=1)
    amount = altered["amount_fen"]
    assert sorted(await reconcile_wechat(runtime, wechat, day), key=str) == sorted(
        [
            Difference(
                D.MISSING_ON_OUR_SIDE,
                PAYMENT,
                deleted["out_trade_no"],
                provider_fen=deleted["amount_fen"],
            ),
            Difference(
                D.AMOUNT_MISMATCH,
                PAYMENT,
                altered["out_trade_no"],
                provider_fen=amount,
                ours_fen=amount + 1,
            ),
            Difference(
                D.LEDGER_MISMATCH,
                PAYMENT,
                altered["out_trade_no"],
                ours_fen=amount + 1,
                ledger_fen=amount,
            ),
            Difference(D.MISSING_ON_OUR_SIDE, REFUND, refund["out_refund_no"], provider_fen=700),
        ],
        key=str,
    )


def test_compare_lists_what_the_provider_lacks_and_what_the_ledger_misses() -> None:
    provider = [MoneyRecord(PAYMENT, "P1", 1000)]
    ours = OurSide(
        records=[
            MoneyRecord(PAYMENT, "P1", 1000),
            MoneyRecord(PAYMENT, "P2", 2000),
            MoneyRecord(REFUND, "R1", 300),
        ],
        ledger_fen={(PAYMENT, "P1"): 1000, (PAYMENT, "P2"): 2000},
    )
    differences = compare(provider, ours)
    assert differences == [
        Difference(D.MISSING_AT_PROVIDER, PAYMENT, "P2", ours_fen=2000),
        Difference(D.MISSING_AT_PROVIDER, REFUND, "R1", ours_fen=300),
        Difference(D.LEDGER_MISMATCH, REFUND, "R1", ours_fen=300, ledger_fen=0),
    ]
    assert str(differences[2]) == ("ledger_mismatch: refund R1 (WeShop ¥3.00, ledger ¥0.00)")


def cli_env(
    settings: Settings, data_dir: Path | None = None, *, sandbox: bool = True
) -> dict[str, str]:
    return {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(data_dir or settings.data_dir),
        "WESHOP_SECRET_KEY": settings.resolved_secret().decode(),
        "WESHOP_SANDBOX_PAYMENTS": "true" if sandbox else "false",
    }


async def reconcile_cli(env: dict[str, str], day: date) -> Result:
    # In a thread: the command calls asyncio.run, which cannot nest in the test's loop.
    args = ["reconcile", "--date", day.isoformat(), "--provider", "sandbox"]
    return await asyncio.to_thread(CliRunner().invoke, cli.app, args, env=env)


async def test_the_command_reconciles_the_sandbox_and_exits_by_outcome(
    api, runner, runtime, settings, tmp_path
) -> None:
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    payment = await api.start_payment(shop.shopper, placed["orders"][0]["id"])
    await api.confirm_in_cashier(payment)
    await runner.run()
    today = utcnow().astimezone(BEIJING).date()

    matching = await reconcile_cli(cli_env(settings), today)
    assert matching.exit_code == 0, matching.output
    assert "no difference" in matching.output
    assert "1 records at the provider, 1 in WeShop" in matching.output
    # The sandbox shares no profits: it says so rather than list splits it never made.
    assert (
        "Profit sharing not compared: the sandbox provider has no profit sharing" in matching.output
    )

    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE payments SET amount_fen = 1 WHERE id = :id"), {"id": payment["id"]}
        )
    differing = await reconcile_cli(cli_env(settings), today)
    assert differing.exit_code == 1, differing.output
    assert f"amount_mismatch: payment {payment['out_trade_no']}" in differing.output
    assert "2 differences" in differing.output

    # No sandbox records where the command looks: it says so rather than report them missing.
    elsewhere = await reconcile_cli(cli_env(settings, tmp_path), today)
    assert elsewhere.exit_code == 2, elsewhere.output
    assert "keeps no records" in elsewhere.output

    # An installation without the sandbox has no sandbox records to reconcile: it says so.
    disabled = await reconcile_cli(cli_env(settings, sandbox=False), today)
    assert disabled.exit_code == 2, disabled.output
    assert "sandbox provider is not enabled" in disabled.output


async def test_the_command_refuses_a_day_outside_the_accepted_range(settings) -> None:
    """9999-12-31 would overflow the day after it; the command says so instead of a traceback."""
    for day in (date(9999, 12, 31), date(1999, 12, 31)):
        refused = await reconcile_cli(cli_env(settings), day)
        assert refused.exit_code == 2, refused.output
        assert "--date must lie between 2000-01-01 and 2100-12-31" in refused.output
