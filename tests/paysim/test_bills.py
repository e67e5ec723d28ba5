"""The daily trade bill lists the day's payments and refunds, the profit-sharing bill the
day's splits and returns, in WeChat Pay's format."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import httpx
import pytest

from tests.paysim.fixtures import SIM_URL
from tests.paysim.test_flows import expect_error, paid_order
from tests.paysim.test_profitsharing import PROMOTER, SUB, sharing_order
from weshop.payments.wechatpay.bills import (
    RETURN_LINE,
    SPLIT_LINE,
    UNFREEZE_LINE,
    parse_trade_bill,
    yuan_to_fen,
)
from weshop.payments.wechatpay.errors import ResponseNotAuthentic, WechatPayApiError
from weshop.payments.wechatpay.profitsharing import Split
from weshop.paysim.identity import PLATFORM_MCHID

BILL_DAY = date(2026, 3, 10)


async def a_day_of_trade(direct, sim, cashier) -> None:
    await paid_order(direct, cashier, "BILL00000001", 10000)
    await paid_order(direct, cashier, "BILL00000002", 1)
    await direct.refunds.create(
        out_trade_no="BILL00000001", out_refund_no="R-BILL-1", refund_fen=2500, total_fen=10000
    )
    await sim.process_due()


async def test_yesterdays_bill_lists_what_happened(direct, sim, cashier, clock) -> None:
    await a_day_of_trade(direct, sim, cashier)
    with pytest.raises(WechatPayApiError) as creating:
        await direct.bills.trade_bill(BILL_DAY)
    expect_error(creating, 400, "STATEMENT_CREATING")

    clock.advance(days=1)
    bill = await direct.bills.trade_bill(BILL_DAY)
    assert bill.columns[:3] == ["交易时间", "公众账号ID", "商户号"]
    assert len(bill.columns) == 27
    payments = [row for row in bill.rows if row["交易状态"] == "SUCCESS"]
    refunds = [row for row in bill.rows if row["交易状态"] == "REFUND"]
    assert sorted(row["商户订单号"] for row in payments) == ["BILL00000001", "BILL00000002"]
    big = next(row for row in payments if row["商户订单号"] == "BILL00000001")
    assert big["应结订单金额"] == "100.00"
    assert big["手续费"] == "0.60000"  # 0.60% of ¥100
    assert big["交易时间"].startswith("2026-03-10 10:00")  # Beijing time
    (refund,) = refunds
    assert (refund["商户退款单号"], refund["退款金额"], refund["退款状态"]) == (
        "R-BILL-1",
        "25.00",
        "SUCCESS",
    )
    assert bill.summary["总交易单数"] == "3"
    assert yuan_to_fen(bill.summary["应结订单总金额"]) == 10001
    assert yuan_to_fen(bill.summary["退款总金额"]) == 2500
    assert bill.summary["手续费总金额"] == "0.45000"  # 0.60 + 0.00 - 0.15

    refunds_only = await direct.bills.trade_bill(BILL_DAY, bill_type="REFUND", gzip_compressed=True)
    assert [row["微信退款单号"] for row in refunds_only.rows] == [refund["微信退款单号"]]


async def test_the_bill_file_is_raw_csv_with_backticks(direct, sim, cashier, clock) -> None:
    await a_day_of_trade(direct, sim, cashier)
    clock.advance(days=1)
    answer = await direct.client.request(
        "GET", "/v3/bill/tradebill", query={"bill_date": BILL_DAY.isoformat()}
    )
    info = answer.data or {}
    assert info["hash_type"] == "SHA1"
    assert info["download_url"].startswith(f"{SIM_URL}/v3/billdownload/file?token=")
    content = await direct.client.download(info["download_url"])
    assert hashlib.sha1(content).hexdigest() == info["hash_value"]
    text = content.decode()
    lines = text.splitlines()
    assert lines[1].startswith("`2026-03-10 10:00:")
    assert all(field.startswith("`") for field in lines[1].split(","))
    assert lines[-2].startswith("总交易单数,")
    assert parse_trade_bill(text).summary["总交易单数"] == "3"

    clock.advance(minutes=6)  # download URLs live five minutes
    with pytest.raises(WechatPayApiError):
        await direct.client.download(info["download_url"])
    with pytest.raises(ResponseNotAuthentic):
        await direct.client.download("https://elsewhere.example/v3/billdownload/file?token=x")


async def test_a_day_without_trade_has_no_bill(direct, clock) -> None:
    clock.advance(days=1)
    with pytest.raises(WechatPayApiError) as empty:
        await direct.bills.trade_bill(BILL_DAY)
    expect_error(empty, 400, "NO_STATEMENT_EXIST")


async def test_the_download_answer_is_not_signed_but_needs_a_signed_request(
    direct, sim, cashier, clock, transport
) -> None:
    await a_day_of_trade(direct, sim, cashier)
    clock.advance(days=1)
    info = (
        await direct.client.request("GET", "/v3/bill/tradebill", query={"bill_date": "2026-03-10"})
    ).data or {}
    async with httpx.AsyncClient(transport=transport, base_url=SIM_URL) as anonymous:
        refused = await anonymous.get(info["download_url"])
    assert refused.status_code == 401
    assert refused.json()["code"] == "SIGN_ERROR"


async def test_the_profit_sharing_bill_lists_splits_and_returns(
    partner, sim, cashier, clock
) -> None:
    transaction_id = await sharing_order(partner, cashier, "SHAREBILL001", 10000)
    await partner.profit_sharing.split(
        transaction_id=transaction_id, out_order_no="S-BILL-1",
        receivers=[
            Split("MERCHANT_ID", PLATFORM_MCHID, 600, "平台服务费", name="平台服务商"),
            Split("PERSONAL_OPENID", PROMOTER, 1000, "推客佣金"),
        ],
        unfreeze_unsplit=True, sub_mchid=SUB,
    )  # fmt: skip
    await partner.profit_sharing.return_split(
        out_order_no="S-BILL-1", out_return_no="F-BILL-1", return_mchid=PLATFORM_MCHID,
        amount_fen=150, description="用户退款", sub_mchid=SUB,
    )  # fmt: skip
    with pytest.raises(WechatPayApiError) as creating:
        await partner.bills.profit_sharing_bill(BILL_DAY)
    expect_error(creating, 400, "STATEMENT_CREATING")

    clock.advance(days=1)
    bill = await partner.bills.profit_sharing_bill(BILL_DAY, gzip_compressed=True)
    assert bill.columns[:3] == ["create_time", "initiator", "sponsor"]
    lines = [
        (row["business_type"], row["out_order_no"], row["receiver_account"], row["amount"])
        for row in bill.rows
    ]
    assert lines == [
        (SPLIT_LINE, "S-BILL-1", PLATFORM_MCHID, "6.00"),
        (SPLIT_LINE, "S-BILL-1", PROMOTER, "10.00"),
        (UNFREEZE_LINE, "S-BILL-1", SUB, "84.00"),
        (RETURN_LINE, "F-BILL-1", PLATFORM_MCHID, "1.50"),
    ]
    assert {row["transaction_id"] for row in bill.rows} == {transaction_id}
    assert {row["sponsor"] for row in bill.rows} == {SUB}
    assert bill.summary == {"total_count": "4", "split_amount": "100.00", "return_amount": "1.50"}
    # A sub-merchant's bill only; another day has none.
    assert len((await partner.bills.profit_sharing_bill(BILL_DAY, sub_mchid=SUB)).rows) == 4
    with pytest.raises(WechatPayApiError) as empty:
        await partner.bills.profit_sharing_bill(BILL_DAY - timedelta(days=1))
    expect_error(empty, 400, "NO_STATEMENT_EXIST")
