"""Storefront pages of accounts: sign-in by phone code, sign-out, the address book."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.storefront import HTML, csrf_token, page, post, sign_in_page
from tests.support import new_phone
from weshop.accounts.models import Address


async def address_count(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(
            select(func.count()).select_from(Address).where(Address.is_deleted.is_(False))
        )


async def test_a_page_that_needs_a_shopper_sends_to_sign_in_and_back(client) -> None:
    answer = await client.get("/me/orders?status=paid", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/me/orders%3Fstatus%3Dpaid"
    form = await page(client, "/signin", next="/me/orders?status=paid")
    assert "手机号登录" in form and 'value="/me/orders?status=paid"' in form


async def test_sign_in_by_code_shows_the_demo_code_and_starts_a_session(client) -> None:
    phone = new_phone()
    sent = await post(client, "/signin", {"phone": phone, "next": "/cart"}, status=200)
    code = re.search(r'id="demo-code">(\d{6})<', sent.text)
    assert code and "演示模式" in sent.text
    signed_in = await post(
        client, "/signin", {"phone": phone, "code": code.group(1), "next": "/cart"}
    )
    assert signed_in.headers["location"] == "/cart"
    assert "weshop_session" in client.cookies
    assert phone[-4:] in await page(client, "/me")


async def test_a_wrong_code_or_phone_is_said_on_the_form_and_signs_no_one_in(client) -> None:
    phone = new_phone()
    await post(client, "/signin", {"phone": phone}, status=200)
    wrong = await post(client, "/signin", {"phone": phone, "code": "000000"}, status=401)
    assert "验证码错误或已过期" in wrong.text and "weshop_session" not in client.cookies
    short = await post(client, "/signin", {"phone": phone, "code": "12"}, status=422)
    assert "请输入发送到手机的 6 位验证码" in short.text
    bad_phone = await post(client, "/signin", {"phone": "12345"}, status=422)
    assert "请填写中国大陆手机号" in bad_phone.text and 'aria-invalid="true"' in bad_phone.text


async def test_going_back_after_sign_in_stays_on_this_site(client) -> None:
    phone = new_phone()
    sent = await post(client, "/signin", {"phone": phone}, status=200)
    code = re.search(r'id="demo-code">(\d{6})<', sent.text).group(1)
    answer = await post(
        client, "/signin", {"phone": phone, "code": code, "next": "https://evil.example/"}
    )
    assert answer.headers["location"] == "/me"


async def test_sign_out_ends_the_session_everywhere(client) -> None:
    await sign_in_page(client)
    token = client.cookies["weshop_session"]
    await post(client, "/signout")
    assert (await client.get("/me", headers=HTML)).status_code == 303
    api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


async def test_the_address_book_adds_edits_masks_and_deletes(api, client, runtime) -> None:
    await sign_in_page(client)
    empty = await page(client, "/me/addresses")
    assert "还没有收货地址" in empty
    form = await page(client, "/me/addresses/new")
    assert form.count("<option") == 35 and "广西壮族自治区" in form
    fields = {
        "recipient": "李四",
        "phone": "13912345678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 100 号",
        "next": "/checkout",
    }
    added = await post(client, "/me/addresses/new", fields)
    assert added.headers["location"] == "/checkout"
    listing = await page(client, "/me/addresses")
    # The shopper's own book is shown in full (masking is for staff, logs and exports).
    assert "13912345678" in listing and "李四" in listing and "文三路 100 号" in listing
    assert "默认" in listing
    address_id = re.search(r"/me/addresses/(\d+)/edit", listing).group(1)
    editing = await page(client, f"/me/addresses/{address_id}/edit")
    assert 'value="13912345678"' in editing and "<option selected>浙江省</option>" in editing
    await post(client, f"/me/addresses/{address_id}/edit", {**fields, "city": "宁波市"})
    assert "宁波市" in await page(client, "/me/addresses")
    await post(client, f"/me/addresses/{address_id}/delete")
    assert await address_count(runtime) == 0


async def test_a_bad_address_shows_field_errors_and_writes_nothing(client, runtime) -> None:
    await sign_in_page(client)
    refused = await post(
        client,
        "/me/addresses/new",
        {"recipient": "", "phone": "123", "province": "浙江", "city": "杭州市", "detail": "x"},
        status=422,
    )
    assert "请填写收货人姓名" in refused.text and "请选择省份" in refused.text
    assert "请填写中国大陆手机号" in refused.text and 'value="杭州市"' in refused.text
    assert await address_count(runtime) == 0


async def test_another_shoppers_address_answers_404(api, client) -> None:
    other = await api.sign_in()
    theirs = await api.add_address(other)
    await sign_in_page(client)
    assert (await client.get(f"/me/addresses/{theirs['id']}/edit", headers=HTML)).status_code == 404
    token = await csrf_token(client)
    deleted = await client.post(
        f"/me/addresses/{theirs['id']}/delete", data={"csrf_token": token}, headers=HTML
    )
    assert deleted.status_code == 404 and "找不到该页面" in deleted.text


async def test_pages_switch_to_english(client) -> None:
    await client.get("/lang", params={"to": "en"})
    text = await page(client, "/signin")
    assert "Sign in with your phone" in text and '<html lang="en">' in text
