"""A guest's tap that needed sign-in (加入购物车, 领取, 参团...) is finished after signing in,
through the continue page, and cannot become a way around the CSRF check."""

from __future__ import annotations

import re
import time
from unittest import mock

from tests.promotions.conftest import create_template
from tests.storefront import HTML, csrf_token, page, post
from tests.support import new_phone
from weshop.web import pending_action

_RESUME_FORM = re.compile(r'<form method="post" action="([^"]+)" data-resume>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


async def on_sale(api) -> dict:
    store_id, owner = await api.new_store("山野农场")
    return await api.create_product(store_id, owner, title="野生蜂蜜", price_fen=8800, stock=5)


async def guest_posts(client, path: str, data: dict) -> str:
    """The guest's post: answered with the way to sign in."""
    answer = await client.post(
        path, data={"csrf_token": await csrf_token(client), **data}, headers=HTML
    )
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"].startswith("/signin?next=")
    return answer.headers["location"]


async def sign_in_by_code(client, next_path: str) -> str:
    """Signs in on the sign-in page; returns where it sends the shopper."""
    phone = new_phone()
    sent = await post(client, "/signin", {"phone": phone, "step": "send"}, status=200)
    code = re.search(r'id="demo-code">(\d{6})<', sent.text).group(1)
    signed_in = await post(
        client, "/signin", {"phone": phone, "code": code, "step": "verify", "next": next_path}
    )
    return signed_in.headers["location"]


async def continue_page(client, location: str) -> tuple[str, dict[str, str], str]:
    """The continue page's form: where it posts and its fields, as the browser sends them."""
    html = await page(client, location)
    form = _RESUME_FORM.search(html)
    assert form, html[:3000]
    return form.group(1), dict(_HIDDEN.findall(form.group(2))), html


async def test_a_guest_who_adds_to_the_cart_has_it_added_after_signing_in(api, client) -> None:
    product = await on_sale(api)
    sku = product["skus"][0]["id"]
    to_sign_in = await guest_posts(
        client, "/cart/items", {"product_id": product["id"], "sku_id": sku, "quantity": 2}
    )
    assert to_sign_in == f"/signin?next=/p/{product['id']}"
    location = await sign_in_by_code(client, f"/p/{product['id']}")
    assert location == f"/signin/continue?next=%2Fp%2F{product['id']}"

    action, fields, html = await continue_page(client, location)
    assert action == "/cart/items" and "加入购物车" in html
    assert fields["sku_id"] == str(sku) and fields["quantity"] == "2"
    # The token on the form is a new one, of the signed-in session.
    assert fields["csrf_token"] == await csrf_token(client)
    done = await client.post(action, data=fields, headers=HTML)
    assert done.headers["location"] == f"/p/{product['id']}?added=1"
    assert "已加入购物车" in await page(client, done.headers["location"])
    assert "¥176.00" in await page(client, "/cart")
    # Used once: the kept action is gone.
    again = await page(client, location)
    assert "data-resume" not in again and "登录前的操作已过期" in again


async def test_a_guest_who_claims_a_coupon_gets_it_after_signing_in(api, client) -> None:
    store_id, owner = await api.new_store("山野农场")
    template = await create_template(api, store_id, owner, name="满100减10")
    await guest_posts(
        client, "/coupons/claim", {"template_id": template["id"], "store_id": store_id}
    )
    location = await sign_in_by_code(client, f"/coupons?store_id={store_id}")
    action, fields, _ = await continue_page(client, location)
    done = await client.post(action, data=fields, headers=HTML)
    assert "领取成功" in await page(client, done.headers["location"])
    assert "满100减10" in await page(client, "/me/coupons")


async def test_an_expired_action_is_said_plainly_and_not_done(api, client) -> None:
    product = await on_sale(api)
    await guest_posts(
        client, "/cart/items", {"product_id": product["id"], "sku_id": product["skus"][0]["id"]}
    )
    later = time.time() + pending_action.MAX_AGE_SECONDS + 5
    with mock.patch.object(pending_action.time, "time", return_value=later):
        location = await sign_in_by_code(client, f"/p/{product['id']}")
    assert location.startswith("/signin/continue")
    html = await page(client, location)
    assert "登录前的操作已过期，请重新操作一次。" in html and "data-resume" not in html
    assert f'href="/p/{product["id"]}"' in html
    assert "购物车还是空的" in await page(client, "/cart")


async def test_only_declared_shopper_actions_that_passed_the_csrf_check_are_kept(
    api, client
) -> None:
    product = await on_sale(api)
    fields = {"product_id": product["id"], "sku_id": product["skus"][0]["id"]}
    # A forged post (no token) is refused before anything is kept.
    forged = await client.post("/cart/items", data=fields, headers=HTML)
    assert forged.status_code == 403 and pending_action.PENDING_COOKIE not in client.cookies
    # A post that needs sign-in but is not a declared shopper action is not kept.
    await guest_posts(client, "/me/addresses/new", {"recipient": "李四"})
    assert pending_action.PENDING_COOKIE not in client.cookies
    location = await sign_in_by_code(client, "/me")
    assert location == "/me"


async def test_a_kept_action_works_only_in_the_browser_that_made_it(api, client, app) -> None:
    import httpx

    product = await on_sale(api)
    await guest_posts(
        client, "/cart/items", {"product_id": product["id"], "sku_id": product["skus"][0]["id"]}
    )
    kept = client.cookies[pending_action.PENDING_COOKIE]
    # Another browser handed the cookie (planted, or copied) signs in: nothing is continued.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        await page(other, "/signin")
        other.cookies.set(pending_action.PENDING_COOKIE, kept)
        location = await sign_in_by_code(other, "/me")
        html = await page(other, location)
        assert "data-resume" not in html and "登录前的操作已过期" in html
        # A tampered cookie is not read either.
        other.cookies.set(pending_action.PENDING_COOKIE, kept[:-2] + "00")
        assert "data-resume" not in await page(other, location)
