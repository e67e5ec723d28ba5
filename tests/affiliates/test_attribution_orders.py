"""Share links, clicks and every order line's attribution, through the API and `/r/<code>`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from tests.affiliates.conftest import Pool
from tests.groupbuy.conftest import GroupShop, campaign_body, create_campaign
from tests.support import Headers, expect
from weshop.affiliates.attribution import Click as ClickFact
from weshop.affiliates.attribution import Line, Plan, decide
from weshop.affiliates.models import Click, LineAttribution

SHARE_LINKS = "/api/v1/me/share-links"
# Rounds of racing clicks and checkouts: without the shopper's turns (clicks.hold_shopper) a
# few of them see a decision miss a click stamped before it on PostgreSQL.
ROUNDS = 5
CLICKS_PER_ROUND = 24
CLICK_SPACING_SECONDS = 0.01


def token_of(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def attribution_url(store_id: int, order_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/orders/{order_id}/attribution"


async def share_link(pool: Pool, promoter: Headers, **target: int) -> dict:
    target = target or {"product_id": pool.product["id"]}
    return expect(await pool.client.post(SHARE_LINKS, json=target, headers=promoter), 200)


async def follow(pool: Pool, code: str, shopper: Headers | None = None, **params: str):
    """A browser follows the link: signed in by its session cookie, or not at all."""
    headers = {"Cookie": f"weshop_session={token_of(shopper)}"} if shopper else {}
    pool.client.cookies.clear()
    response = await pool.client.get(f"/r/{code}", params=params, headers=headers)
    pool.client.cookies.clear()
    return response


async def buy(pool: Pool, shopper: Headers, address_id: int, visitor: str | None = None) -> dict:
    pool.client.cookies.clear()
    headers = {**shopper, "Cookie": f"weshop_ref={visitor}"} if visitor else shopper
    response = await pool.client.post(
        "/api/v1/me/orders",
        json={"address_id": address_id, "items": [{"sku_id": pool.sku_ids[0], "quantity": 2}]},
        headers=headers,
    )
    pool.client.cookies.clear()
    return expect(response, 201)["orders"][0]


async def attribution(pool: Pool, order_id: int) -> dict:
    return expect(
        await pool.client.get(attribution_url(pool.store_id, order_id), headers=pool.owner), 200
    )


async def test_a_promoter_gets_one_short_link_per_target(pool: Pool) -> None:
    await pool.pooled()
    promoter, _ = await pool.promoter()
    first = await share_link(pool, promoter)
    again = await share_link(pool, promoter)
    assert first == again
    assert first["url"].endswith(f"/r/{first['code']}")
    assert first["poster_url"] == first["url"] + "?ch=poster"
    assert first["target_path"] == f"/p/{pool.product['id']}"
    store_link = await share_link(pool, promoter, store_id=pool.store_id)
    assert store_link["code"] != first["code"]
    assert store_link["target_path"] == f"/s/{pool.store_id}"


async def test_only_pool_products_and_approved_promoters_get_links(pool: Pool) -> None:
    promoter, _ = await pool.promoter()
    refused = await pool.client.post(
        SHARE_LINKS, json={"product_id": pool.product["id"]}, headers=promoter
    )
    assert expect(refused, 422)["error"]["code"] == "not_in_pool"
    await pool.pooled()
    pending, _ = await pool.promoter(approve=False)
    refused = await pool.client.post(
        SHARE_LINKS, json={"product_id": pool.product["id"]}, headers=pending
    )
    assert expect(refused, 403)["error"]["code"] == "not_a_promoter"
    both = await pool.client.post(
        SHARE_LINKS,
        json={"product_id": pool.product["id"], "store_id": pool.store_id},
        headers=promoter,
    )
    assert both.status_code == 422


async def test_a_signed_in_click_binds_the_buyer_to_the_promoter(pool: Pool) -> None:
    await pool.pooled(rate_bps=1500)
    promoter, record = await pool.promoter()
    link = await share_link(pool, promoter)
    shopper, address_id = await pool.api.buyer()
    followed = await follow(pool, link["code"], shopper)
    assert followed.status_code == 302
    assert followed.headers["location"] == f"/p/{pool.product['id']}"
    order = await buy(pool, shopper, address_id)
    answer = await attribution(pool, order["id"])
    (line,) = answer["lines"]
    assert line["attributed"] is True
    assert line["promoter_code"] == record["code"]
    assert line["rule"] == "bound"
    assert line["click"]["channel"] == "link"
    assert line["rate_bps"] == 1500
    assert line["plan_version"] == line["rate_plan_version"] == 1
    assert record["code"] in line["explanation"]


async def test_a_visitor_who_signs_in_after_clicking_is_still_bound(pool: Pool) -> None:
    await pool.pooled()
    promoter, record = await pool.promoter()
    link = await share_link(pool, promoter)
    followed = await follow(pool, link["code"], ch="poster")
    visitor = followed.cookies.get("weshop_ref")
    assert visitor
    shopper, address_id = await pool.api.buyer()
    order = await buy(pool, shopper, address_id, visitor)
    (line,) = (await attribution(pool, order["id"]))["lines"]
    assert (line["promoter_code"], line["click"]["channel"]) == (record["code"], "poster")
    # The browser's clicks became the shopper's: a later order from elsewhere is bound too.
    again = await buy(pool, shopper, address_id)
    (line,) = (await attribution(pool, again["id"]))["lines"]
    assert line["promoter_code"] == record["code"]


async def test_every_line_has_a_decision_even_without_clicks(pool: Pool) -> None:
    shopper, address_id = await pool.api.buyer()
    order = await buy(pool, shopper, address_id)
    (line,) = (await attribution(pool, order["id"]))["lines"]
    assert line["attributed"] is False
    assert line["reason"] == "no_click"
    assert line["click"] is None


async def test_a_click_on_a_product_not_in_the_pool_earns_nothing(pool: Pool) -> None:
    listing = await pool.pooled()
    promoter, record = await pool.promoter()
    link = await share_link(pool, promoter)
    shopper, address_id = await pool.api.buyer()
    await follow(pool, link["code"], shopper)
    stop = f"{pool.base}/{listing['id']}/stop"
    expect(await pool.client.post(stop, headers=pool.owner), 200)
    order = await buy(pool, shopper, address_id)
    (line,) = (await attribution(pool, order["id"]))["lines"]
    assert line["reason"] == "not_in_pool"
    assert line["click"]["promoter_code"] == record["code"]


async def test_a_rate_change_applies_to_clicks_after_it(pool: Pool) -> None:
    listing = await pool.pooled(rate_bps=1000)
    promoter, _ = await pool.promoter()
    link = await share_link(pool, promoter)
    early, early_address = await pool.api.buyer()
    await follow(pool, link["code"], early)
    revise = f"{pool.base}/{listing['id']}"
    expect(await pool.client.patch(revise, json={"rate_bps": 2000}, headers=pool.owner), 200)
    late, late_address = await pool.api.buyer()
    await follow(pool, link["code"], late)
    first = await buy(pool, early, early_address)
    second = await buy(pool, late, late_address)
    (line,) = (await attribution(pool, first["id"]))["lines"]
    assert (line["rate_bps"], line["rate_plan_version"], line["plan_version"]) == (1000, 1, 2)
    (line,) = (await attribution(pool, second["id"]))["lines"]
    assert (line["rate_bps"], line["rate_plan_version"]) == (2000, 2)


async def test_another_store_cannot_read_the_attribution(pool: Pool) -> None:
    shopper, address_id = await pool.api.buyer()
    order = await buy(pool, shopper, address_id)
    other_store, other_owner = await pool.api.create_store(pool.operator, "别家小店")
    response = await pool.client.get(
        attribution_url(other_store["id"], order["id"]), headers=other_owner
    )
    assert response.status_code == 404
    response = await pool.client.get(attribution_url(pool.store_id, order["id"]), headers=shopper)
    assert response.status_code in (403, 404)
    platform = await pool.client.get(
        f"/api/v1/platform/orders/{order['id']}/attribution", headers=pool.operator
    )
    assert expect(platform, 200)["order_id"] == order["id"]


async def test_an_unknown_link_is_not_found(pool: Pool) -> None:
    assert (await follow(pool, "ZZZZZZZZZZ")).status_code == 404


async def test_concurrent_clicks_and_checkouts_each_decide_by_the_clicks_recorded(
    pool: Pool,
) -> None:
    """Two promoters' clicks and the shopper's checkouts race: every line has exactly one
    decision, and it is the one the rules give on the clicks recorded before it."""
    await pool.pooled(last_click_steals=True)
    first, _ = await pool.promoter()
    second, _ = await pool.promoter()
    links = [await share_link(pool, first), await share_link(pool, second)]
    shopper, address_id = await pool.api.buyer()

    async def click(index: int) -> None:
        # Spread over the checkouts' time, so that clicks land while checkouts decide.
        await asyncio.sleep(index * CLICK_SPACING_SECONDS)
        response = await follow(pool, links[index % 2]["code"], shopper)
        assert response.status_code == 302

    async def checkout() -> dict:
        response = await pool.client.post(
            "/api/v1/me/orders",
            json={"address_id": address_id, "items": [{"sku_id": pool.sku_ids[0], "quantity": 1}]},
            headers=shopper,
        )
        return expect(response, 201)["orders"][0]

    orders = []
    for _ in range(ROUNDS):
        results = await asyncio.gather(
            *(click(index) for index in range(CLICKS_PER_ROUND)), *(checkout() for _ in range(4))
        )
        orders += [result for result in results if result]
    async with pool.api.runtime.db.transaction() as session:
        clicks = list(await session.scalars(select(Click).order_by(Click.id)))
        rows = list(
            await session.scalars(
                select(LineAttribution).where(
                    LineAttribution.order_id.in_([order["id"] for order in orders])
                )
            )
        )
    assert sorted(row.order_id for row in rows) == sorted(order["id"] for order in orders)
    facts = [ClickFact(c.id, c.promoter_id, c.store_id, c.at, c.product_id) for c in clicks]
    for row in rows:
        expected = decide(
            Line(row.store_id, row.product_id, row.decided_at),
            facts,
            Plan(last_click_steals=True),
            timedelta(seconds=row.binding_window_seconds),
        )
        assert (row.promoter_id, row.click_id) == (expected.promoter_id, expected.click_id)


async def test_a_group_link_carries_the_promoter_into_the_group_order(pool: Pool) -> None:
    await pool.pooled()
    campaign = expect(
        await create_campaign(pool.api, pool.store_id, pool.owner, campaign_body(pool.product)),
        201,
    )
    shop = GroupShop(pool.api, pool.store_id, pool.owner, pool.product, campaign)
    group_id, _, _ = await shop.opened_group()
    promoter, record = await pool.promoter()
    link = await share_link(pool, promoter, group_id=group_id)
    assert link["target_path"] == f"/g/{group_id}"
    friend, address_id = await pool.api.buyer()
    followed = await follow(pool, link["code"], friend)
    assert followed.headers["location"] == f"/g/{group_id}"
    joined = expect(await shop.join(friend, address_id, group_id), 201)
    (line,) = (await attribution(pool, joined["orders"][0]["id"]))["lines"]
    assert (line["promoter_code"], line["click"]["channel"]) == (record["code"], "group")
    missing = await pool.client.post(SHARE_LINKS, json={"group_id": 10**6}, headers=promoter)
    assert missing.status_code == 404


async def test_the_dashboard_shows_clicks_and_orders_on_the_next_request(pool: Pool) -> None:
    await pool.pooled()
    promoter, _ = await pool.promoter()
    link = await share_link(pool, promoter)
    dashboard = "/api/v1/me/promoter/dashboard"
    before = expect(await pool.client.get(dashboard, headers=promoter), 200)
    assert before["today"]["clicks"] == 0
    shopper, address_id = await pool.api.buyer()
    await follow(pool, link["code"], shopper)
    await follow(pool, link["code"], shopper)
    await follow(pool, link["code"])
    order = await buy(pool, shopper, address_id)
    figures = expect(await pool.client.get(dashboard, headers=promoter), 200)
    today = figures["today"]
    assert (today["clicks"], today["visitors"]) == (3, 2)
    assert (today["attributed_orders"], today["paid_orders"]) == (1, 0)
    await pool.api.confirm_in_cashier(await pool.api.start_payment(shopper, order["id"]))
    figures = expect(await pool.client.get(dashboard, headers=promoter), 200)
    assert figures["today"]["paid_orders"] == figures["last_30_days"]["paid_orders"] == 1
    assert figures["today"]["paid_fen"] == order["lines"][0]["payable_fen"]
    # 10% of the line, frozen now that it is paid.
    assert figures["today"]["estimated_fen"] == 0
    assert figures["today"]["frozen_fen"] == order["lines"][0]["payable_fen"] // 10
    other, _ = await pool.promoter()
    assert expect(await pool.client.get(dashboard, headers=other), 200)["today"]["clicks"] == 0
    outsider = await pool.api.sign_in()
    assert (await pool.client.get(dashboard, headers=outsider)).status_code == 403
