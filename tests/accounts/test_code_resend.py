"""Asking for a sign-in code again: 60 s apart, counted down on the page and enforced by the
server; the code box stays and a code already received keeps working until it expires."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

from tests.accounts.test_codes_and_sessions import settings_changed
from tests.storefront import page, post
from tests.support import expect, new_phone
from weshop.accounts import service
from weshop.core.clock import utcnow

_CODE = re.compile(r'id="demo-code">(\d{6})<')


async def test_the_page_counts_down_before_offering_a_new_code(client, runtime) -> None:
    phone = new_phone()
    with settings_changed(runtime, otp_resend_seconds=60):
        sent = await post(client, "/signin", {"phone": phone, "step": "send"}, status=200)
        assert 'data-resend-wait="60"' in sent.text and "60</span> 秒后可重新发送" in sent.text
        assert 'id="resend"' in sent.text and "data-after-wait" in sent.text
        assert 'name="code"' in sent.text
        early = await post(
            client, "/signin", {"phone": phone, "step": "send", "sent": "1"}, status=429
        )
    # Refused in Chinese, with the wait; the code box is still there.
    assert re.search(r"验证码刚刚发出，请 \d+ 秒后再重新发送。", early.text)
    assert 'name="code"' in early.text and "data-resend-wait" in early.text


async def test_the_api_refuses_an_early_resend_with_retry_after(client, runtime) -> None:
    phone = new_phone()
    with settings_changed(runtime, otp_resend_seconds=60):
        expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
        early = await client.post("/api/v1/auth/codes", json={"phone": phone})
        assert early.status_code == 429 and early.json()["error"]["code"] == "code_resend_wait"
        assert 0 < int(early.headers["retry-after"]) <= 60
        later = utcnow() + timedelta(seconds=61)
        with mock.patch.object(service, "utcnow", return_value=later):
            expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)


async def test_the_earlier_code_still_signs_in_after_a_resend(client, runtime) -> None:
    phone = new_phone()
    first = _CODE.search(
        (await post(client, "/signin", {"phone": phone, "step": "send"}, status=200)).text
    ).group(1)
    second = _CODE.search(
        (
            await post(client, "/signin", {"phone": phone, "step": "send", "sent": "1"}, status=200)
        ).text
    ).group(1)
    signed_in = await post(
        client, "/signin", {"phone": phone, "code": first, "step": "verify", "sent": "1"}
    )
    assert signed_in.headers["location"] == "/me"
    assert phone[-4:] in await page(client, "/me")
    # Signed in, the phone's other code is spent.
    await post(client, "/signout")
    refused = await post(
        client, "/signin", {"phone": phone, "code": second, "step": "verify"}, status=401
    )
    assert "验证码错误或已过期" in refused.text


async def test_signing_in_with_an_empty_code_box_asks_for_the_code(client) -> None:
    phone = new_phone()
    await post(client, "/signin", {"phone": phone, "step": "send"}, status=200)
    empty = await post(
        client, "/signin", {"phone": phone, "step": "verify", "sent": "1", "code": ""}, status=422
    )
    assert "请输入发送到手机的 6 位验证码" in empty.text and 'name="code"' in empty.text
