"""The storefront pages of paying a multi-store checkout: placing it goes to the pay page,
which lists every order; another shopper's checkout and combined payment answer 404."""

from __future__ import annotations

import re

import httpx

from tests.payments.test_combined import three_store_checkout
from tests.support import expect

HTML = {"Accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def as_page_user(client: httpx.AsyncClient, headers: dict) -> None:
    client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))


async def test_the_pay_page_lists_every_order_and_pays_them_at_one_cashier(api, client) -> None:
    shopper, placed, _ = await three_store_checkout(api, client)
    checkout = placed["checkout_no"]
    as_page_user(client, shopper)
    page = await client.get(f"/me/checkouts/{checkout}/pay", headers=HTML)
    assert page.status_code == 200
    for order in placed["orders"]:
        assert order["order_no"] in page.text
    assert "山野农场" in page.text and "一次支付全部订单" in page.text
    token = TOKEN.search(page.text).group(1)
    answer = await client.post(
        f"/me/checkouts/{checkout}/pay", data={"csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 303
    cashier = answer.headers["location"]
    assert cashier.startswith("/sandbox-pay/combined/H")
    number = cashier.rsplit("/", 1)[1]

    # Another shopper: the checkout's pages and the way back from its cashier answer 404.
    stranger = await api.sign_in()
    as_page_user(client, stranger)
    for path in (
        f"/me/checkouts/{checkout}/pay",
        f"/me/checkouts/{checkout}/result",
        f"/pay/return/combined/{number}",
    ):
        assert (await client.get(path, headers=HTML)).status_code == 404, path

    as_page_user(client, shopper)
    paid = await client.post(f"{cashier}/confirm", headers=HTML)
    assert paid.status_code == 303 and paid.headers["location"] == f"/pay/return/combined/{number}"
    back = await client.get(paid.headers["location"], headers=HTML)
    assert back.headers["location"] == f"/me/checkouts/{checkout}/result"
    result = await client.get(back.headers["location"], headers=HTML)
    assert "支付成功" in result.text and result.text.count("已付款") == 3
    again = await client.get(f"/me/checkouts/{checkout}/pay", headers=HTML)
    assert again.status_code == 303 and again.headers["location"].endswith("/result")


async def test_the_pay_button_shows_the_checkouts_total(api, client) -> None:
    shopper, placed, _ = await three_store_checkout(api, client)
    orders = expect(await client.get("/api/v1/me/orders", headers=shopper), 200)
    assert orders  # the checkout's orders await payment, listed in my orders too
    as_page_user(client, shopper)
    page = await client.get(f"/me/checkouts/{placed['checkout_no']}/pay", headers=HTML)
    assert f"支付 ¥{placed['payable_fen'] / 100:.2f}" in page.text
