"""Promoters' tenancy, swept over every promoter route and page: a promoter never sees another
promoter's orders, and no promoter sees a shopper's personal data (the buyer's name, phone or
address) in any answer. The sweep walks the API's routes tagged `promoters`, so a new one is
covered the day it is added."""

from __future__ import annotations

import re

from tests.affiliates.commission_support import Seller, follow_link
from tests.affiliates.conftest import Pool, open_pool
from tests.affiliates.test_commissions import buy, pay
from tests.storefront import HTML
from tests.support import expect
from weshop.core.clock import CHINA_TZ, utcnow

PARAM = re.compile(r"{(\w+)}")
# What tests.support.Api.add_address gives every buyer: none of it may reach a promoter.
PERSONAL_DATA = ["张三", "13912345678", "文三路"]


def promoter_routes(app) -> list[str]:
    return [
        path
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if method == "get" and "promoters" in operation.get("tags", [])
    ]


async def answers(pool: Pool, app, seller: Seller, code: str) -> dict[str, str]:
    """Every promoter GET answer of ``seller`` (their own link code and this month), and
    their promoter centre page."""
    month = utcnow().astimezone(CHINA_TZ).strftime("%Y-%m")
    found = {}
    for template in promoter_routes(app):
        path = template.replace("{code}", code).replace("{month}", month)
        assert not PARAM.search(path), f"teach the promoter sweep how to fill {path}"
        answer = await pool.client.get(path, headers=seller.headers)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
        found[path] = answer.content.decode("utf-8", errors="replace")
    pool.client.cookies.set("weshop_session", seller.headers["Authorization"][len("Bearer ") :])
    found["/me/promoter"] = (await pool.client.get("/me/promoter", headers=HTML)).text
    pool.client.cookies.clear()
    return found


async def test_promoters_see_neither_each_others_orders_nor_personal_data(api, app):
    pool = await open_pool(api)
    await pool.pooled(rate_bps=1000)
    sellers = []
    for _ in range(2):
        headers, record = await pool.promoter()
        sellers.append(Seller(headers, record))
    orders = []
    for seller in sellers:
        shopper, address_id = await pool.api.buyer()
        await follow_link(pool, seller, shopper)
        orders.append(await pay(pool, shopper, await buy(pool, shopper, address_id)))
    for index, seller in enumerate(sellers):
        link = expect(
            await pool.client.post(
                "/api/v1/me/share-links",
                json={"product_id": pool.product["id"]},
                headers=seller.headers,
            ),
            200,
        )
        own, other = orders[index]["order_no"], orders[1 - index]["order_no"]
        seen = await answers(pool, app, seller, link["code"])
        assert any(own in text for text in seen.values()), "the sweep must see own orders"
        for path, text in seen.items():
            assert other not in text, f"{path} shows another promoter's order"
            leaked = [value for value in PERSONAL_DATA if value in text]
            assert not leaked, f"{path} shows a shopper's personal data: {leaked}"
