"""The client: a timeout on every call, bounded retries that resend the same out number,
answers refused unless WeChat Pay signed them, and nothing secret in the logs."""

from __future__ import annotations

import json

import httpx
import pytest
from structlog.testing import capture_logs

from tests.paysim.fixtures import NOTIFY_URL, make_client
from weshop.payments.wechatpay.errors import (
    ResponseNotAuthentic,
    WechatPayApiError,
    WechatPayUnavailable,
)
from weshop.payments.wechatpay.provider import WechatPay
from weshop.payments.wechatpay.transactions import Direct, TradeType
from weshop.paysim.identity import DIRECT_APPID, DIRECT_MCHID


class Flaky(httpx.AsyncBaseTransport):
    """Fails the first calls (network error or 503), then passes them to the simulator."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: list[str]) -> None:
        self.inner = inner
        self.failures = failures
        self.requests: list[httpx.Request] = []
        self.tamper = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if failure == "connect":
                raise httpx.ConnectError("connection refused", request=request)
            if failure == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
            return httpx.Response(503, json={"code": "SYSTEM_ERROR", "message": "系统繁忙"})
        response = await self.inner.handle_async_request(request)
        if self.tamper:
            body = await response.aread()
            return httpx.Response(
                response.status_code, headers=response.headers, content=body.replace(b"wx", b"xx")
            )
        return response


def pay_over(flaky: Flaky, merchant_keys, platform, clock, sleeps: list[float], **options):
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = make_client(
        flaky, merchant_keys, platform, clock, DIRECT_MCHID, sleep=sleep, **options
    )
    return WechatPay(client, Direct(DIRECT_MCHID, DIRECT_APPID))


async def order(pay: WechatPay, out_trade_no: str = "RETRY0000001") -> dict:
    return await pay.transactions.create(
        TradeType.JSAPI,
        out_trade_no=out_trade_no,
        description="retry",
        total_fen=100,
        notify_url=NOTIFY_URL,
        payer_openid="oRetry",
    )


async def test_network_errors_and_5xx_are_retried_with_the_same_order_number(
    transport, merchant_keys, platform, clock
) -> None:
    flaky, sleeps = Flaky(transport, ["connect", "503", "timeout"]), []
    pay = pay_over(flaky, merchant_keys, platform, clock, sleeps, max_attempts=4)
    answer = await order(pay)
    assert answer["prepay_id"].startswith("wx")
    assert len(flaky.requests) == 4
    bodies = {request.content for request in flaky.requests}
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["out_trade_no"] == "RETRY0000001"
    assert sleeps == [0.5, 1.0, 1.5]  # bounded, growing pauses
    timeout = flaky.requests[0].extensions["timeout"]
    assert timeout["read"] == 10.0 and timeout["connect"] == 10.0
    # Each attempt is signed afresh (new nonce), over the same body.
    assert len({request.headers["Authorization"] for request in flaky.requests}) == 4


async def test_retries_are_bounded(transport, merchant_keys, platform, clock) -> None:
    flaky, sleeps = Flaky(transport, ["connect"] * 3), []
    pay = pay_over(flaky, merchant_keys, platform, clock, sleeps)
    with pytest.raises(WechatPayUnavailable):
        await order(pay)
    assert len(flaky.requests) == 3
    flaky = Flaky(transport, ["503"] * 3)
    pay = pay_over(flaky, merchant_keys, platform, clock, sleeps)
    with pytest.raises(WechatPayUnavailable):
        await order(pay)
    assert len(flaky.requests) == 3


async def test_business_errors_are_not_retried(transport, merchant_keys, platform, clock) -> None:
    flaky, sleeps = Flaky(transport, []), []
    pay = pay_over(flaky, merchant_keys, platform, clock, sleeps)
    with pytest.raises(WechatPayApiError) as missing:
        await pay.transactions.query("NOTTHERE0001")
    assert missing.value.wechat_code == "ORDER_NOT_EXIST"
    assert missing.value.status_code == 502  # WeShop answers its own callers "provider error"
    assert len(flaky.requests) == 1 and sleeps == []


async def test_an_answer_changed_on_the_way_is_refused(
    transport, merchant_keys, platform, clock
) -> None:
    flaky = Flaky(transport, [])
    flaky.tamper = True
    pay = pay_over(flaky, merchant_keys, platform, clock, [])
    with pytest.raises(ResponseNotAuthentic):
        await order(pay)


async def test_an_unsigned_success_is_refused(merchant_keys, platform, clock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"prepay_id": "wx-from-an-impostor"})

    pay = pay_over(httpx.MockTransport(handler), merchant_keys, platform, clock, [])
    with pytest.raises(ResponseNotAuthentic):
        await order(pay)


async def test_nothing_secret_is_logged(transport, merchant_keys, platform, clock) -> None:
    flaky = Flaky(transport, ["connect"])
    pay = pay_over(flaky, merchant_keys, platform, clock, [])
    with capture_logs() as logs:
        await order(pay, "LOGGED000001")
        with pytest.raises(WechatPayApiError):
            await pay.transactions.query("NOTTHERE0002")
    text = repr(logs) + repr(pay.client.credentials)
    assert any(entry["event"] == "wechatpay.call" for entry in logs)
    assert any(entry["event"] == "wechatpay.network_error" for entry in logs)
    signatures = [
        request.headers["Authorization"].split('signature="')[1].split('"')[0]
        for request in flaky.requests
    ]
    for secret in [merchant_keys.apiv3_key, "PRIVATE KEY", "Authorization", *signatures]:
        assert secret not in text
