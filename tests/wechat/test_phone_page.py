"""绑定手机号: a shopper signed in by WeChat in a page verifies a phone by SMS code, and the
account that phone had (with its orders) becomes theirs."""

from __future__ import annotations

import re

from tests.storefront import page, post
from tests.support import expect
from tests.wechat.support import open_in_wechat

DEMO_CODE = re.compile(r'id="demo-code">(\d{6})<')


async def test_a_wechat_shopper_binds_the_phone_of_their_earlier_account(api, client, wxsim):
    by_phone = await api.sign_in("13900139004")
    earlier = expect(await client.get("/api/v1/me", headers=by_phone), 200)
    client.cookies.clear()

    assert (await open_in_wechat(client, wxsim, "/me", "liuyang")).status_code == 303
    me = await page(client, "/me")
    assert "绑定手机号" in me and 'href="/me/phone"' in me
    form = await page(client, "/me/phone")
    assert "绑定手机号" in form

    sent = await post(client, "/me/phone", {"phone": "13900139004", "step": "send"}, status=200)
    code = DEMO_CODE.search(sent.text)
    assert code, sent.text[:2000]
    wrong = "000000" if code.group(1) != "000000" else "111111"
    refused = await post(client, "/me/phone", {"phone": "13900139004", "code": wrong}, 401)
    assert "139****9004" not in await page(client, "/me") and 'name="code"' in refused.text
    done = await post(client, "/me/phone", {"phone": "13900139004", "code": code.group(1)})
    assert done.headers["location"] == "/me"
    assert "139****9004" in await page(client, "/me")
    # The page's session is the earlier account's now.
    token = client.cookies["weshop_session"]
    me_now = expect(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 200
    )
    assert me_now["id"] == earlier["id"]


async def test_the_phone_page_needs_a_signed_in_shopper(client):
    answer = await client.get("/me/phone", headers={"Accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
