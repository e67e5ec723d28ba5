"""The merchant console's alliance pool: listing a product with a plan, revising the plan (a
new version), stopping; refusals shown on the form with nothing written; who may see and do
what; and the attribution panel of the console's order page."""

from __future__ import annotations

from tests.affiliates.conftest import Pool, listings_url
from tests.affiliates.test_attribution_orders import buy, follow, share_link
from tests.analytics.support import page, redirected_to, submit, use_session
from tests.support import expect


def console(pool: Pool, path: str = "") -> str:
    return f"/console/stores/{pool.store_id}/affiliate-listings{path}"


async def listings_of(pool: Pool) -> list[dict]:
    return expect(await pool.client.get(pool.base, headers=pool.owner), 200)["items"]


async def plans_of(pool: Pool, listing_id: int) -> list[dict]:
    url = listings_url(pool.store_id, f"/{listing_id}/plans")
    return expect(await pool.client.get(url, headers=pool.owner), 200)


async def test_the_owner_lists_a_product_as_the_api_would(pool: Pool, client) -> None:
    _, promoter = await pool.promoter()
    use_session(client, pool.owner)
    form = await page(client, console(pool, "/new"))
    assert form.status_code == 200 and "高山乌龙茶" in form.text

    dearer = pool.sku_ids[1]
    posted = await submit(
        client,
        console(pool, "/new"),
        {
            "product_id": str(pool.product["id"]),
            "rate_percent": "12.5",
            "agency_rate_percent": "1",
            "audience": "listed",
            "promoter_codes": promoter["code"].lower(),
            "valid_until": "2099-01-01T08:00",
            "self_purchase": "commission",
            "last_click_steals": "on",
            "sku_rates.0.sku_id": str(dearer),
            "sku_rates.0.rate_percent": "20",
            "sku_rates.1.sku_id": str(pool.sku_ids[0]),
            "sku_rates.1.rate_percent": "",
        },
    )
    (listing,) = await listings_of(pool)
    assert redirected_to(posted) == console(pool, f"/{listing['id']}?done=created")
    assert listing["status"] == "pending" and listing["version"] == 1
    assert listing["rate_bps"] == 1250 and listing["agency_rate_bps"] == 100
    assert listing["sku_rates"] == [{"sku_id": dearer, "rate_bps": 2000}]
    assert listing["audience"] == "listed" and listing["promoter_ids"] == [promoter["id"]]
    assert listing["self_purchase"] == "commission" and listing["last_click_steals"] is True
    # 08:00 China time is midnight UTC.
    assert listing["valid_until"].startswith("2099-01-01T00:00")

    shown = await page(client, console(pool, f"/{listing['id']}"))
    assert shown.status_code == 200
    assert "12.5%" in shown.text and promoter["code"] in shown.text and "250g" in shown.text
    assert "v1" in (await page(client, console(pool))).text
    client.cookies.set("weshop_lang", "en")
    english = (await page(client, console(pool, f"/{listing['id']}"))).text
    assert "Commission rate (%)" in english and "Last click steals" in english


async def test_refusals_are_shown_on_the_form_and_write_nothing(pool: Pool, client) -> None:
    use_session(client, pool.owner)
    base = {"product_id": str(pool.product["id"]), "audience": "open", "self_purchase": "none"}

    for typed in ("95", "12.345", "Infinity", "十"):
        refused = await submit(client, console(pool, "/new"), {**base, "rate_percent": typed})
        assert refused.status_code == 422, typed
        assert 'aria-invalid="true" aria-describedby="e-rate_percent"' in refused.text
        assert "请输入 0 到 90 之间的百分比" in refused.text

    unknown = await submit(
        client,
        console(pool, "/new"),
        {**base, "rate_percent": "10", "audience": "listed", "promoter_codes": "ZZZZ9999"},
    )
    assert unknown.status_code == 422 and "ZZZZ9999" in unknown.text

    reversed_window = await submit(
        client,
        console(pool, "/new"),
        {
            **base,
            "rate_percent": "10",
            "valid_from": "2099-02-01T00:00",
            "valid_until": "2099-01-01T00:00",
        },
    )
    assert reversed_window.status_code == 422
    assert "结束时间必须晚于开始时间" in reversed_window.text
    assert await listings_of(pool) == []

    expect(await pool.list_product(), 201)
    again = await submit(client, console(pool, "/new"), {**base, "rate_percent": "10"})
    assert again.status_code == 409 and "已在联盟商品库" in again.text
    assert len(await listings_of(pool)) == 1


async def test_a_revised_plan_is_a_new_version_and_the_history_keeps_the_old(
    pool: Pool, client
) -> None:
    listing = await pool.pooled(rate_bps=1000, last_click_steals=True)
    use_session(client, pool.owner)
    url = console(pool, f"/{listing['id']}")
    shown = await page(client, url)
    assert "之后的点击" in shown.text  # the note: a change applies to clicks after it

    refused = await submit(client, f"{url}/plan", {"audience": "open", "rate_percent": "91"})
    assert refused.status_code == 422
    assert len(await plans_of(pool, listing["id"])) == 1

    revised = await submit(
        client,
        f"{url}/plan",
        {
            "audience": "open",
            "promoter_codes": "",
            "rate_percent": "15",
            "self_purchase": "none",
            "sku_rates.0.sku_id": str(pool.sku_ids[0]),
            "sku_rates.0.rate_percent": "7.25",
            "sku_rates.1.sku_id": str(pool.sku_ids[1]),
            "sku_rates.1.rate_percent": "",
        },
    )
    assert redirected_to(revised) == f"{url}?done=revised"
    plans = await plans_of(pool, listing["id"])
    assert [plan["version"] for plan in plans] == [2, 1]
    assert plans[0]["rate_bps"] == 1500 and plans[1]["rate_bps"] == 1000
    assert plans[0]["sku_rates"] == [{"sku_id": pool.sku_ids[0], "rate_bps": 725}]
    # The box left unticked turns last-click-steals off; the first version keeps it on.
    assert plans[0]["last_click_steals"] is False and plans[1]["last_click_steals"] is True
    history = (await page(client, url)).text
    assert "v2" in history and "v1" in history and "7.25%" in history

    # Every SKU's rate emptied: the SKUs earn the product's rate again.
    cleared = await submit(
        client,
        f"{url}/plan",
        {
            "audience": "open",
            "rate_percent": "15",
            "self_purchase": "none",
            "sku_rates.0.sku_id": str(pool.sku_ids[0]),
            "sku_rates.0.rate_percent": "",
        },
    )
    assert redirected_to(cleared) == f"{url}?done=revised"
    assert (await plans_of(pool, listing["id"]))[0]["sku_rates"] == []

    stopped = await submit(client, f"{url}/stop")
    assert redirected_to(stopped) == f"{url}?done=stopped"
    (after,) = await listings_of(pool)
    assert after["status"] == "ended"
    assert "/plan" not in (await page(client, url)).text


async def test_roles_see_and_change_what_they_may_and_another_store_finds_nothing(
    api, pool: Pool, client
) -> None:
    listing = expect(await pool.list_product(), 201)
    finance = await api.add_staff(pool.store_id, pool.owner, "finance")
    use_session(client, finance)
    seen = await page(client, console(pool))
    assert seen.status_code == 200 and "高山乌龙茶" in seen.text
    assert "/affiliate-listings/new" not in seen.text
    assert (await page(client, console(pool, f"/{listing['id']}"))).status_code == 200
    assert (await page(client, console(pool, "/new"))).status_code == 403
    refused = await submit(client, f"{console(pool, '/' + str(listing['id']))}/stop")
    assert refused.status_code == 403

    service = await api.add_staff(pool.store_id, pool.owner, "customer_service")
    use_session(client, service)
    assert (await page(client, console(pool))).status_code == 403

    other_id, other_owner = await api.new_store("别家小店")
    use_session(client, other_owner)
    other = f"/console/stores/{other_id}/affiliate-listings/{listing['id']}"
    assert (await page(client, other)).status_code == 404
    assert (await submit(client, f"{other}/stop")).status_code == 404
    assert (await page(client, console(pool))).status_code == 404
    (still,) = await listings_of(pool)
    assert still["status"] == "pending"


async def test_the_order_page_shows_each_line_s_attribution(api, pool: Pool, client) -> None:
    await pool.pooled(rate_bps=1500)
    promoter_headers, promoter = await pool.promoter()
    link = await share_link(pool, promoter_headers)
    shopper = await api.sign_in()
    followed = await follow(pool, link["code"], shopper, ch="poster")
    assert followed.status_code in (302, 303, 307)
    address = await api.add_address(shopper)
    order = await buy(pool, shopper, address["id"])

    use_session(client, pool.owner)
    shown = (await page(client, f"/console/stores/{pool.store_id}/orders/{order['id']}")).text
    assert 'id="attribution"' in shown
    assert promoter["code"] in shown and "海报" in shown and "15%" in shown
    assert "绑定" in shown  # the explanation, in the page's language

    # Out of the pool, the same shopper's next order earns nobody: the click is the evidence.
    listing = (await listings_of(pool))[0]
    expect(await pool.client.post(f"{pool.base}/{listing['id']}/stop", headers=pool.owner), 200)
    later = await buy(pool, shopper, address["id"])
    use_session(client, pool.owner)
    shown = (await page(client, f"/console/stores/{pool.store_id}/orders/{later['id']}")).text
    assert "无推客" in shown and promoter["code"] in shown and "不在联盟商品库" in shown

    unattributed = await api.sign_in()
    address = await api.add_address(unattributed)
    plain = await buy(pool, unattributed, address["id"])
    use_session(client, pool.owner)
    shown = (await page(client, f"/console/stores/{pool.store_id}/orders/{plain['id']}")).text
    assert "无推客" in shown and promoter["code"] not in shown


async def test_the_listings_page_states_the_attribution_rules_with_the_policys_window(
    pool: Pool, client
) -> None:
    expect(
        await pool.client.put(
            "/api/v1/platform/affiliate-policy",
            json={"binding_window_days": 15},
            headers=pool.operator,
        ),
        200,
    )
    use_session(client, pool.owner)
    shown = await page(client, console(pool))
    assert "归因规则" in shown.text and "有效期 15 天" in shown.text
