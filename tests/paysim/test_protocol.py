"""The simulator against a minimal client written from the official documentation alone:
the Authorization header, the answer check and the callback decryption are built here with
`cryptography`, not with WeShop's client, so the simulator cannot merely agree with itself."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.paysim.fixtures import NOTIFY_URL, SIM_URL, decrypt_delivery
from weshop.paysim.identity import DIRECT_APPID, DIRECT_MCHID


class HandClient:
    """Everything from the APIv3 'signature generation' and 'verification' pages."""

    def __init__(self, transport, keys, platform, clock) -> None:
        self.transport = transport
        self.private_key = keys.private_key
        self.serial = keys.serial
        self.platform_public = platform.private_key.public_key()
        self.platform_serial = platform.serial
        self.clock = clock

    def authorization(
        self,
        method: str,
        url: str,
        body: str,
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
    ) -> str:
        ts = str(timestamp if timestamp is not None else int(self.clock().timestamp()))
        nonce = secrets.token_hex(16).upper()
        message = f"{method}\n{url}\n{ts}\n{nonce}\n{body}\n".encode()
        raw = (key or self.private_key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        signature = base64.b64encode(raw).decode()
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{DIRECT_MCHID}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{ts}",serial_no="{serial or self.serial}"'
        )

    async def call(
        self, method: str, url: str, payload: dict[str, Any] | None = None, **signing: Any
    ) -> httpx.Response:
        body = json.dumps(payload) if payload is not None else ""
        signed_body = signing.pop("signed_body", body)
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": self.authorization(method, url, signed_body, **signing),
        }
        async with httpx.AsyncClient(transport=self.transport, base_url=SIM_URL) as http:
            return await http.request(method, url, content=body.encode(), headers=headers)

    def answer_is_authentic(self, response: httpx.Response) -> bool:
        h = response.headers
        if h["Wechatpay-Serial"] != self.platform_serial:
            return False
        if abs(int(h["Wechatpay-Timestamp"]) - self.clock().timestamp()) > 300:
            return False
        message = (
            f"{h['Wechatpay-Timestamp']}\n{h['Wechatpay-Nonce']}\n".encode()
            + response.content
            + b"\n"
        )
        try:
            self.platform_public.verify(
                base64.b64decode(h["Wechatpay-Signature"]),
                message,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return False
        return True


@pytest.fixture
def hand(transport, merchant_keys, platform, clock) -> HandClient:
    return HandClient(transport, merchant_keys, platform, clock)


def native_order(out_trade_no: str, total: int = 88) -> dict[str, Any]:
    return {
        "appid": DIRECT_APPID,
        "mchid": DIRECT_MCHID,
        "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": out_trade_no,
        "notify_url": NOTIFY_URL,
        "amount": {"total": total, "currency": "CNY"},
    }


async def test_an_independent_client_orders_queries_and_reads_the_callback(
    hand, cashier, inbox, merchant_keys
) -> None:
    created = await hand.call("POST", "/v3/pay/transactions/native", native_order("HAND00000001"))
    assert created.status_code == 200, created.text
    assert hand.answer_is_authentic(created)
    code_url = created.json()["code_url"]
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")

    query_url = f"/v3/pay/transactions/out-trade-no/HAND00000001?mchid={DIRECT_MCHID}"
    queried = await hand.call("GET", query_url)
    assert queried.status_code == 200 and hand.answer_is_authentic(queried)
    assert queried.json()["trade_state"] == "NOTPAY"

    pr = code_url.split("pr=", 1)[1]
    assert (await cashier.post("/cashier/confirm", data={"pr": pr})).status_code == 200
    (delivery,) = inbox.deliveries
    # The callback, checked and opened by hand (AEAD_AES_256_GCM with the APIv3 key).
    envelope = json.loads(delivery.body)
    resource = envelope["resource"]
    plain = AESGCM(merchant_keys.apiv3_key.encode()).decrypt(
        resource["nonce"].encode(),
        base64.b64decode(resource["ciphertext"]),
        resource["associated_data"].encode(),
    )
    transaction = json.loads(plain)
    assert transaction["out_trade_no"] == "HAND00000001"
    assert transaction["trade_state"] == "SUCCESS"
    assert transaction == decrypt_delivery(delivery, merchant_keys)["resource"]

    closed = await hand.call(
        "POST", "/v3/pay/transactions/out-trade-no/HAND00000001/close", {"mchid": DIRECT_MCHID}
    )
    assert closed.status_code == 400 and closed.json()["code"] == "ORDERPAID"
    assert hand.answer_is_authentic(closed)


async def test_close_answers_204_without_a_body(hand) -> None:
    await hand.call("POST", "/v3/pay/transactions/native", native_order("HAND00000002"))
    closed = await hand.call(
        "POST", "/v3/pay/transactions/out-trade-no/HAND00000002/close", {"mchid": DIRECT_MCHID}
    )
    assert closed.status_code == 204 and closed.content == b""
    assert hand.answer_is_authentic(closed)


async def test_a_number_with_escaped_characters_is_signed_as_sent(hand) -> None:
    created = await hand.call("POST", "/v3/pay/transactions/native", native_order("HAND|0003*x"))
    assert created.status_code == 200, created.text
    queried = await hand.call(
        "GET", f"/v3/pay/transactions/out-trade-no/HAND%7C0003*x?mchid={DIRECT_MCHID}"
    )
    assert queried.status_code == 200, queried.text
    assert queried.json()["out_trade_no"] == "HAND|0003*x"


def refused(response: httpx.Response, hand: HandClient) -> str:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == "SIGN_ERROR" and body["message"]
    assert hand.answer_is_authentic(response)
    return str(body["message"])


async def test_bad_signatures_are_refused_with_sign_error(hand, clock) -> None:
    order = native_order("HAND00000004")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "签名错误" in refused(
        await hand.call("POST", "/v3/pay/transactions/native", order, key=stranger), hand
    )
    now = int(clock().timestamp())
    for skew in (-301, 301):
        message = refused(
            await hand.call("POST", "/v3/pay/transactions/native", order, timestamp=now + skew),
            hand,
        )
        assert "时间戳" in message
    assert "序列号" in refused(
        await hand.call("POST", "/v3/pay/transactions/native", order, serial="5157F09EFDC0"),
        hand,
    )
    tampered = await hand.call(
        "POST",
        "/v3/pay/transactions/native",
        order,
        signed_body=json.dumps({**order, "amount": {"total": 1, "currency": "CNY"}}),
    )
    detail = json.loads(tampered.content)["detail"]
    refused(tampered, hand)
    assert detail["sign_information"]["url"] == "/v3/pay/transactions/native"
    async with httpx.AsyncClient(transport=hand.transport, base_url=SIM_URL) as http:
        anonymous = await http.post("/v3/pay/transactions/native", json=order)
    assert "Authorization" in refused(anonymous, hand)


async def test_invalid_parameters_answer_param_error_with_detail(hand) -> None:
    order = native_order("HAND00000005")
    order["amount"] = {"total": "88", "currency": "CNY"}  # a string, not an integer
    response = await hand.call("POST", "/v3/pay/transactions/native", order)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "PARAM_ERROR"
    assert body["detail"]["field"] == "/amount/total"
    assert body["detail"]["location"] == "body"

    wrong_app = await hand.call(
        "POST", "/v3/pay/transactions/native", {**native_order("HAND00000006"), "appid": "wx1"}
    )
    assert (wrong_app.status_code, wrong_app.json()["code"]) == (400, "APPID_MCHID_NOT_MATCH")

    missing = await hand.call(
        "GET", "/v3/pay/transactions/out-trade-no/NOSUCH000001?mchid=" + DIRECT_MCHID
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "ORDER_NOT_EXIST")
