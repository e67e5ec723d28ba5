"""The after-sales pages: 申请售后 from the order page with a photo, the request page with
its history and return address, the store console's list, counts and actions, and the
platform's 售后仲裁."""

from __future__ import annotations

import re

from tests.aftersales.support import RETURN_POLICY, set_policy
from tests.aftersales.test_requests import PNG
from tests.ledger.support import open_market, paid_order, ship
from tests.storefront import HTML
from tests.support import Headers

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def as_(client, headers: Headers) -> None:
    client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))


async def token(client, path: str) -> str:
    answer = await client.get(path, headers=HTML)
    assert answer.status_code == 200, answer.text[:500]
    return TOKEN.search(answer.text).group(1)


async def test_a_return_through_the_pages(api, client, runner):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0, **RETURN_POLICY)
    order = await paid_order(market, [(market.skus[2], 2)])
    await ship(market, order["id"])
    line = order["lines"][0]

    as_(client, market.shopper)
    order_page = await client.get(f"/me/orders/{order['id']}", headers=HTML)
    form_path = f"/me/orders/{order['id']}/aftersales?line={line['id']}"
    assert form_path.replace("&", "&amp;") in order_page.text or form_path in order_page.text
    form = await client.get(form_path, headers=HTML)
    assert "申请售后" in form.text and "商品破损" in form.text
    created = await client.post(
        f"/me/orders/{order['id']}/aftersales",
        data={
            "csrf_token": TOKEN.search(form.text).group(1),
            "order_line_id": str(line["id"]),
            "kind": "return_and_refund",
            "quantity": "1",
            "reason_code": "damaged",
            "note": "外壳裂了",
        },
        files={"photos": ("crack.png", PNG, "image/png")},
        headers=HTML,
    )
    assert created.status_code == 303, created.text[:500]
    detail_path = created.headers["location"]
    detail = await client.get(detail_path, headers=HTML)
    assert "等待商家处理" in detail.text and "外壳裂了" in detail.text and "/media/" in detail.text
    request_id = int(detail_path.rsplit("/", 1)[1])

    as_(client, market.owner)
    console = f"/console/stores/{market.store_id}/aftersales"
    listed = await client.get(console, headers=HTML)
    assert "售后" in listed.text and str(request_id) in listed.text
    staff_token = await token(client, f"{console}/{request_id}")
    approved = await client.post(
        f"{console}/{request_id}/approve", data={"csrf_token": staff_token}, headers=HTML
    )
    assert approved.status_code == 303

    as_(client, market.shopper)
    detail = await client.get(detail_path, headers=HTML)
    assert "退货地址" in detail.text and "13700001111" in detail.text
    shipped = await client.post(
        f"{detail_path}/ship-return",
        data={
            "csrf_token": TOKEN.search(detail.text).group(1),
            "carrier": "顺丰",
            "tracking_no": "SF55556666",
        },
        headers=HTML,
    )
    assert shipped.status_code == 303

    as_(client, market.owner)
    staff_view = await client.get(f"{console}/{request_id}", headers=HTML)
    assert "SF55556666" in staff_view.text and "137****1111" not in staff_view.text
    received = await client.post(
        f"{console}/{request_id}/receipt",
        data={"csrf_token": TOKEN.search(staff_view.text).group(1)},
        headers=HTML,
    )
    assert received.status_code == 303
    await runner.run()

    as_(client, market.shopper)
    assert "退款已到账" in (await client.get(detail_path, headers=HTML)).text
    order_page = await client.get(f"/me/orders/{order['id']}", headers=HTML)
    assert "已退款" in order_page.text
    mine = await client.get("/me/aftersales", headers=HTML)
    assert detail_path in mine.text


async def test_a_dispute_is_decided_in_the_platform_console(api, client, runner):
    market = await open_market(api)
    await set_policy(market, fast_refund_threshold_fen=0)
    order = await paid_order(market, [(market.skus[0], 1)])
    await ship(market, order["id"])
    as_(client, market.shopper)
    form = await client.get(
        f"/me/orders/{order['id']}/aftersales?line={order['lines'][0]['id']}", headers=HTML
    )
    created = await client.post(
        f"/me/orders/{order['id']}/aftersales",
        data={
            "csrf_token": TOKEN.search(form.text).group(1),
            "order_line_id": str(order["lines"][0]["id"]),
            "kind": "refund_only",
            "quantity": "1",
            "reason_code": "not_received",
            "amount": "5.00",
        },
        headers=HTML,
    )
    detail_path = created.headers["location"]
    detail = await client.get(detail_path, headers=HTML)
    await client.post(
        f"{detail_path}/escalate",
        data={"csrf_token": TOKEN.search(detail.text).group(1)},
        headers=HTML,
    )
    request_id = int(detail_path.rsplit("/", 1)[1])

    as_(client, await api.operator())
    disputes = await client.get("/platform/aftersales", headers=HTML)
    assert "售后仲裁" in disputes.text and f"/platform/aftersales/{request_id}" in disputes.text
    page = await client.get(f"/platform/aftersales/{request_id}", headers=HTML)
    decided = await client.post(
        f"/platform/aftersales/{request_id}/decision",
        data={"csrf_token": TOKEN.search(page.text).group(1), "refund": "3.00", "note": "部分退"},
        headers=HTML,
    )
    assert decided.status_code == 303 and "error" not in decided.headers["location"]
    await runner.run()
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 300
