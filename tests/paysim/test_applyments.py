"""Sub-merchant onboarding: an application with encrypted personal fields, reviewed on the
simulator's clock, gives the sub_mchid that partner-mode orders are then made for."""

from __future__ import annotations

import pytest

from tests.paysim.fixtures import NOTIFY_URL
from tests.paysim.test_flows import expect_error
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.transactions import TradeType

FORM = {
    "organization_type": "2401",
    "need_account_info": True,
    "id_card_info": {
        "id_card_copy": "media-id-front",
        "id_card_national": "media-id-back",
        "id_card_name": "张三",
        "id_card_number": "110101199003071234",
        "id_card_valid_time": "长期",
    },
    "account_info": {
        "bank_account_type": "74",
        "account_bank": "工商银行",
        "account_name": "张三",
        "bank_address_code": "110000",
        "account_number": "6222020200112345678",
    },
    "contact_info": {"contact_type": "65", "contact_name": "张三", "mobile_phone": "13800000000"},
    "sales_scene_info": {"store_name": "张三的果园", "store_url": "https://weshop.example/s/7"},
    "merchant_shortname": "张三果园",
}


async def test_application_is_reviewed_into_a_sub_merchant(partner, clock) -> None:
    submitted = await partner.applyments.submit("APPLY-STORE-7", FORM)
    assert submitted["out_request_no"] == "APPLY-STORE-7"
    assert isinstance(submitted["applyment_id"], int)
    assert (await partner.applyments.submit("APPLY-STORE-7", FORM)) == submitted

    auditing = await partner.applyments.query("APPLY-STORE-7")
    assert auditing["applyment_state"] == "AUDITING"
    assert "sub_mchid" not in auditing

    clock.advance(seconds=31)
    finished = await partner.applyments.query("APPLY-STORE-7")
    assert finished["applyment_state"] == "FINISH"
    sub_mchid = finished["sub_mchid"]
    assert (await partner.applyments.query("APPLY-STORE-7"))["sub_mchid"] == sub_mchid
    by_id = await partner.client.request(
        "GET", f"/v3/ecommerce/applyments/{submitted['applyment_id']}"
    )
    assert (by_id.data or {})["sub_mchid"] == sub_mchid

    order = await partner.transactions.create(
        TradeType.NATIVE, out_trade_no="NEWSTORE0001", description="首单", total_fen=100,
        notify_url=NOTIFY_URL, sub_mchid=sub_mchid,
    )  # fmt: skip
    assert order["code_url"].startswith("weixin://")


async def test_personal_fields_must_be_encrypted_with_the_platform_key(partner) -> None:
    body = {**FORM, "out_request_no": "APPLY-CLEAR-1"}  # sent in clear text
    with pytest.raises(WechatPayApiError) as clear:
        await partner.client.request(
            "POST", "/v3/ecommerce/applyments/", body=body, encrypted_fields=True
        )
    expect_error(clear, 400, "PARAM_ERROR")
    assert clear.value.detail["field"] == "id_card_info/id_card_name"

    encrypted = {
        **FORM,
        "out_request_no": "APPLY-NOSERIAL-1",
        "contact_info": {
            "contact_name": partner.client.encrypt("张三"),
            "mobile_phone": partner.client.encrypt("13800000000"),
        },
        "id_card_info": {},
        "account_info": {"account_number": partner.client.encrypt("6222")},
    }
    with pytest.raises(WechatPayApiError) as no_serial:
        await partner.client.request("POST", "/v3/ecommerce/applyments/", body=encrypted)
    expect_error(no_serial, 400, "PARAM_ERROR")
    assert no_serial.value.detail["location"] == "header"


async def test_only_a_platform_onboards_sub_merchants(direct) -> None:
    with pytest.raises(WechatPayApiError) as refused:
        await direct.applyments.submit("APPLY-DIRECT-1", FORM)
    expect_error(refused, 403, "NO_AUTH")


def test_sensitive_fields_round_trip_through_oaep(platform) -> None:
    sealed = crypto.encrypt_sensitive(platform.private_key.public_key(), "110101199003071234")
    assert sealed != "110101199003071234"
    assert crypto.decrypt_sensitive(platform.private_key, sealed) == "110101199003071234"
