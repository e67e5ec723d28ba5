"""WeShop's WechatPayProvider through the simulator: cashier URL, verified callback, close,
refund; partner mode; settings and registration (only when configured)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from tests.paysim.fixtures import NOTIFY_URL, key_files, make_client, pay_at_cashier
from weshop.core.config import Settings
from weshop.core.errors import NotFound
from weshop.payments.provider import InvalidNotification, PaymentNotice, ProviderRefundStatus
from weshop.payments.providers import PaymentSetupError, build_payment_setup
from weshop.payments.wechatpay.client import MerchantCredentials, WechatPayClient
from weshop.payments.wechatpay.errors import WechatPayError
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider
from weshop.payments.wechatpay.setup import WechatPayConfigError, build_wechatpay_provider
from weshop.payments.wechatpay.transactions import Partner
from weshop.paysim import funds
from weshop.paysim.identity import (
    DIRECT_APPID,
    DIRECT_MCHID,
    PLATFORM_MCHID,
    READY_SUB_MCHID,
)


@pytest.fixture
def provider(direct) -> WechatPayProvider:
    return WechatPayProvider(direct, notify_url=NOTIFY_URL)


@pytest.fixture
def partner_provider(partner) -> WechatPayProvider:
    return WechatPayProvider(
        partner, notify_url=NOTIFY_URL, trade_type="native", merchant_name="WeShop 测试平台"
    )


def receive_with(inbox, provider: WechatPayProvider, notices: list) -> None:
    """WeShop's notify endpoint in miniature: verify, then acknowledge (or refuse with 401)."""

    async def endpoint(headers: Mapping[str, str], body: bytes) -> int:
        try:
            notices.append(provider.verify_notification(headers, body))
        except InvalidNotification as exc:
            notices.append(exc)
            return 401
        return 200

    inbox.handler = endpoint


async def test_h5_payment_end_to_end(provider, cashier, inbox, clock) -> None:
    notices: list = []
    receive_with(inbox, provider, notices)
    created = await provider.create_payment(
        out_trade_no="P20260310100000ABCDE",
        amount_fen=2590,
        description="WeShop order O123",
        expires_at=clock() + timedelta(minutes=30),
        payer_ip="203.0.113.7",
    )
    assert created.cashier_url.startswith("http://paysim.test/cashier/h5?prepay_id=")
    page = await pay_at_cashier(cashier, h5_url=created.cashier_url)
    assert "1 条回调被确认" in page.text
    (notice,) = notices
    assert isinstance(notice, PaymentNotice)
    assert (notice.out_trade_no, notice.amount_fen) == ("P20260310100000ABCDE", 2590)
    assert notice.notification_id.startswith("EV-")
    assert notice.paid_at == clock()
    assert notice.raw["resource"]["trade_state"] == "SUCCESS"


async def test_a_callback_under_another_apiv3_key_is_refused(
    provider, cashier, inbox, clock, transport, merchant_keys, platform
) -> None:
    other = make_client(transport, merchant_keys, platform, clock, DIRECT_MCHID)
    wrong_key = WechatPayClient(
        MerchantCredentials(
            DIRECT_MCHID, merchant_keys.serial, merchant_keys.private_key, b"K" * 32
        ),
        other.verifier,
    )
    impostor = WechatPayProvider(WechatPay(wrong_key, provider.pay.merchant), notify_url=NOTIFY_URL)
    notices: list = []
    receive_with(inbox, impostor, notices)
    created = await provider.create_payment(
        out_trade_no="WRONGKEY0001", amount_fen=1, description="x",
        expires_at=clock() + timedelta(minutes=30), payer_ip="203.0.113.7",
    )  # fmt: skip
    await pay_at_cashier(cashier, h5_url=created.cashier_url)
    (refused,) = notices
    assert isinstance(refused, InvalidNotification)
    assert "APIv3 key" in str(refused)


async def test_h5_needs_the_payer_ip(provider, clock) -> None:
    with pytest.raises(WechatPayError) as missing:
        await provider.create_payment(
            out_trade_no="NOIP00000001", amount_fen=1, description="x",
            expires_at=clock() + timedelta(minutes=30),
        )  # fmt: skip
    assert missing.value.code == "wechatpay_payer_ip_required"


async def test_close_and_close_after_payment(provider, cashier, clock) -> None:
    open_one = await provider.create_payment(
        out_trade_no="CLOSEPROV001", amount_fen=1, description="x",
        expires_at=clock() + timedelta(minutes=30), payer_ip="203.0.113.7",
    )  # fmt: skip
    await provider.close_payment("CLOSEPROV001")
    assert (await provider.pay.transactions.query("CLOSEPROV001"))["trade_state"] == "CLOSED"
    prepay_id = open_one.cashier_url.split("prepay_id=")[1]
    page = await cashier.get("/cashier/h5", params={"prepay_id": prepay_id})
    assert "订单状态: CLOSED" in page.text
    refused = await cashier.post("/cashier/confirm", data={"prepay_id": prepay_id})
    assert refused.status_code == 400 and "ORDER_CLOSED" in refused.text

    paid = await provider.create_payment(
        out_trade_no="CLOSEPROV002", amount_fen=1, description="x",
        expires_at=clock() + timedelta(minutes=30), payer_ip="203.0.113.7",
    )  # fmt: skip
    await pay_at_cashier(cashier, h5_url=paid.cashier_url)
    await provider.close_payment("CLOSEPROV002")  # ORDERPAID: the callback has the last word


async def test_refund_processing_then_succeeded_when_asked_again(
    provider, sim, cashier, clock
) -> None:
    created = await provider.create_payment(
        out_trade_no="REFUNDPROV01", amount_fen=1000, description="x",
        expires_at=clock() + timedelta(minutes=30), payer_ip="203.0.113.7",
    )  # fmt: skip
    await pay_at_cashier(cashier, h5_url=created.cashier_url)
    request = {
        "out_trade_no": "REFUNDPROV01",
        "out_refund_no": "R20260310ABC",
        "amount_fen": 400,
        "total_fen": 1000,
        "reason": "退货",
    }
    first = await provider.refund(**request)
    assert first.status == ProviderRefundStatus.PROCESSING and first.refund_id
    await sim.process_due()
    again = await provider.refund(**request)  # the worker's retry: same out_refund_no
    assert (again.status, again.refund_id) == (ProviderRefundStatus.SUCCEEDED, first.refund_id)

    over = await provider.refund(**{**request, "out_refund_no": "R20260310ABD", "amount_fen": 601})
    assert over.status == ProviderRefundStatus.FAILED
    assert over.failure_reason.startswith("INVALID_REQUEST")
    unknown = await provider.refund(**{**request, "out_trade_no": "NOPE00000001"})
    assert unknown.status == ProviderRefundStatus.FAILED


async def test_refund_callbacks_are_told_apart(
    provider, direct, sim, cashier, inbox, clock
) -> None:
    created = await provider.create_payment(
        out_trade_no="REFUNDNOTE01", amount_fen=500, description="x",
        expires_at=clock() + timedelta(minutes=30), payer_ip="203.0.113.7",
    )  # fmt: skip
    await pay_at_cashier(cashier, h5_url=created.cashier_url)
    await direct.refunds.create(
        out_trade_no="REFUNDNOTE01", out_refund_no="R-NOTE-1", refund_fen=500, total_fen=500,
        notify_url=NOTIFY_URL,
    )  # fmt: skip
    await sim.process_due()
    refund_delivery = inbox.deliveries[-1]
    notice = provider.verify_refund_notification(refund_delivery.headers, refund_delivery.body)
    assert (notice.out_refund_no, notice.refund.status, notice.amount_fen) == (
        "R-NOTE-1",
        ProviderRefundStatus.SUCCEEDED,
        500,
    )
    with pytest.raises(InvalidNotification, match="not a payment notification"):
        provider.verify_notification(refund_delivery.headers, refund_delivery.body)
    payment_delivery = inbox.deliveries[0]
    with pytest.raises(InvalidNotification, match="not a refund notification"):
        provider.verify_refund_notification(payment_delivery.headers, payment_delivery.body)


async def test_partner_mode_pays_the_store_sub_merchant(
    partner_provider, partner, direct, sim, cashier, inbox, clock
) -> None:
    with pytest.raises(WechatPayError) as no_store:
        await partner_provider.create_payment(
            out_trade_no="PARTPROV0001", amount_fen=800, description="x",
            expires_at=clock() + timedelta(minutes=30),
        )  # fmt: skip
    assert no_store.value.code == "wechatpay_sub_mchid_required"
    created = await partner_provider.create_payment(
        out_trade_no="PARTPROV0001", amount_fen=800, description="x",
        expires_at=clock() + timedelta(minutes=30), sub_mchid=READY_SUB_MCHID,
    )  # fmt: skip
    assert created.cashier_url.startswith("weixin://wxpay/bizpayurl?pr=")
    notices: list = []
    receive_with(inbox, partner_provider, notices)
    await pay_at_cashier(cashier, code_url=created.cashier_url)
    assert isinstance(notices[0], PaymentNotice)
    assert notices[0].raw["resource"]["sub_mchid"] == READY_SUB_MCHID
    queried = await partner.transactions.query("PARTPROV0001", sub_mchid=READY_SUB_MCHID)
    assert await partner.profit_sharing.unsplit_amount(queried["transaction_id"]) == 800

    # A direct merchant's callback is not the platform's.
    direct_provider = WechatPayProvider(direct, notify_url=NOTIFY_URL, trade_type="native")
    with pytest.raises(InvalidNotification, match="another merchant"):
        direct_provider.verify_notification(inbox.deliveries[0].headers, inbox.deliveries[0].body)


async def test_query_payment_finds_a_payment_whose_callback_was_lost(
    partner_provider, cashier, inbox, clock
) -> None:
    inbox.status = 500  # every callback is lost
    created = await partner_provider.create_payment(
        out_trade_no="PARTQUERY001", amount_fen=1200, description="x",
        expires_at=clock() + timedelta(minutes=30), sub_mchid=READY_SUB_MCHID,
    )  # fmt: skip
    assert await partner_provider.query_payment("PARTQUERY001", sub_mchid=READY_SUB_MCHID) is None
    await pay_at_cashier(cashier, code_url=created.cashier_url)
    notice = await partner_provider.query_payment("PARTQUERY001", sub_mchid=READY_SUB_MCHID)
    assert notice is not None
    assert notice.notification_id == f"query:{notice.transaction_id}"
    assert (notice.out_trade_no, notice.amount_fen) == ("PARTQUERY001", 1200)
    again = await partner_provider.query_payment("PARTQUERY001", sub_mchid=READY_SUB_MCHID)
    assert again is not None
    assert again.notification_id == notice.notification_id


async def test_settling_splits_the_fee_and_releases_the_rest(
    partner_provider, partner, sim, cashier, clock
) -> None:
    created = await partner_provider.create_payment(
        out_trade_no="PARTSETTLE01", amount_fen=10000, description="x",
        expires_at=clock() + timedelta(minutes=30), sub_mchid=READY_SUB_MCHID,
    )  # fmt: skip
    await pay_at_cashier(cashier, code_url=created.cashier_url)
    paid = await partner.transactions.query("PARTSETTLE01", sub_mchid=READY_SUB_MCHID)
    for _ in range(2):  # a repeated instruction is the same instruction
        await partner_provider.settle(
            transaction_id=paid["transaction_id"], out_order_no="SPARTSETTLE01",
            platform_fee_fen=600, sub_mchid=READY_SUB_MCHID,
        )  # fmt: skip
    assert funds.balance(sim.store, f"mch:{READY_SUB_MCHID}") == (9400, 0)
    assert funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (600, 0)


async def test_registered_only_when_configured(tmp_path: Path, merchant_keys, platform) -> None:
    base = {"data_dir": tmp_path, "secret_key": "test-secret-not-for-production"}
    plain = build_payment_setup(Settings(**base))
    assert (plain.providers, plain.default_name, plain.sandbox) == ({}, None, None)
    with pytest.raises(NotFound) as refused:
        plain.provider()
    assert refused.value.code == "payment_provider_unavailable"

    sandbox = build_payment_setup(Settings(**base, sandbox_payments=True))
    assert (list(sandbox.providers), sandbox.default_name) == (["sandbox"], "sandbox")
    assert sandbox.sandbox is not None and "sandbox_gateway" in sandbox.components()
    await sandbox.close()
    with pytest.raises(PaymentSetupError, match="WESHOP_SANDBOX_PAYMENTS=true"):
        build_payment_setup(Settings(**base, default_payment_provider="sandbox"))

    configured = Settings(
        **base,
        wechatpay_mode="partner",
        wechatpay_mchid=PLATFORM_MCHID,
        wechatpay_appid="wx8888888888888888",
        public_base_url="https://shop.example",
        **key_files(tmp_path, merchant_keys, platform),
    )
    with pytest.raises(WechatPayConfigError, match="MERCHANT_NAME"):
        build_payment_setup(configured)
    configured = configured.model_copy(update={"wechatpay_merchant_name": "微店联盟科技有限公司"})
    alone = build_payment_setup(configured)
    assert (list(alone.providers), alone.default_name, alone.sandbox) == (
        ["wechatpay"], "wechatpay", None
    )  # fmt: skip
    assert "sandbox_gateway" not in alone.components()
    wechatpay = alone.provider("wechatpay")
    assert wechatpay.notify_url == "https://shop.example/api/v1/payments/notify/wechatpay"
    assert isinstance(wechatpay.pay.merchant, Partner)
    assert wechatpay.pay.client.base_url == "https://api.mch.weixin.qq.com"
    with pytest.raises(NotFound):
        alone.provider("sandbox")

    # Two providers: which one pays by default must be said.
    with pytest.raises(PaymentSetupError, match="WESHOP_DEFAULT_PAYMENT_PROVIDER"):
        build_payment_setup(configured.model_copy(update={"sandbox_payments": True}))
    both = build_payment_setup(
        configured.model_copy(
            update={"sandbox_payments": True, "default_payment_provider": "wechatpay"}
        )
    )
    assert (sorted(both.providers), both.default_name) == (["sandbox", "wechatpay"], "wechatpay")
    await both.close()


def test_incomplete_settings_are_explained(tmp_path: Path, merchant_keys, platform) -> None:
    files = key_files(tmp_path, merchant_keys, platform)
    complete = {"wechatpay_mchid": DIRECT_MCHID, "wechatpay_appid": DIRECT_APPID, **files}
    build_wechatpay_provider(Settings(**complete), NOTIFY_URL)
    for missing, message in [
        ("wechatpay_appid", "APPID"),
        ("wechatpay_apiv3_key", "APIV3_KEY"),
        ("wechatpay_platform_public_key_path", "platform key"),
    ]:
        settings = Settings(
            **{**complete, missing: None if "path" in missing or "key" in missing else ""}
        )
        with pytest.raises(WechatPayConfigError, match=message):
            build_wechatpay_provider(settings, NOTIFY_URL)
    with pytest.raises(WechatPayConfigError, match="32 bytes"):
        build_wechatpay_provider(
            Settings(**{**complete, "wechatpay_apiv3_key": "short"}), NOTIFY_URL
        )
