"""The platform category tree (operators) and a store's categories mapped onto it (the
merchant console's categories page); the fee of a line follows the platform tree."""

from __future__ import annotations

from tests.analytics.support import page as console_page
from tests.analytics.support import redirected_to, submit, use_session
from tests.ledger.support import open_market, order_kinds, paid_order
from tests.storefront import page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect
from weshop.ledger.models import AccountKind as K

PLATFORM = "/api/v1/platform/categories"
LEDGER = "/api/v1/platform/ledger"


async def test_operators_keep_a_two_level_tree_and_retire_unused_categories(api, client):
    operator = await api.operator()
    food = expect(await client.post(PLATFORM, json={"name": "食品"}, headers=operator), 201)
    tea = expect(
        await client.post(
            PLATFORM, json={"name": "茶叶", "parent_id": food["id"]}, headers=operator
        ),
        201,
    )
    clothing = expect(await client.post(PLATFORM, json={"name": "服饰"}, headers=operator), 201)
    # Two levels, unique names among siblings.
    too_deep = await client.post(
        PLATFORM, json={"name": "绿茶", "parent_id": tea["id"]}, headers=operator
    )
    assert too_deep.status_code == 422
    twin = await client.post(
        PLATFORM, json={"name": "茶叶", "parent_id": food["id"]}, headers=operator
    )
    assert twin.status_code == 409
    # Move 茶叶 under 服饰 and back; rename it.
    moved = expect(
        await client.patch(
            f"{PLATFORM}/{tea['id']}", json={"parent_id": clothing["id"]}, headers=operator
        ),
        200,
    )
    assert moved["parent_id"] == clothing["id"]
    expect(
        await client.patch(
            f"{PLATFORM}/{tea['id']}",
            json={"parent_id": food["id"], "name": "茶"},
            headers=operator,
        ),
        200,
    )
    listed = expect(await client.get(PLATFORM, headers=operator), 200)
    assert [(c["name"], c["parent_id"]) for c in listed] == [
        ("食品", None),
        ("茶", food["id"]),
        ("服饰", None),
    ]
    # A store maps onto 茶: it cannot be retired, nor can 食品 above it.
    store_id, owner = await api.new_store()
    mapped = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories",
            json={"name": "好茶", "platform_category_id": tea["id"]},
            headers=owner,
        ),
        201,
    )
    assert (
        await client.post(f"{PLATFORM}/{tea['id']}/retire", headers=operator)
    ).status_code == 409
    assert (
        await client.post(f"{PLATFORM}/{food['id']}/retire", headers=operator)
    ).status_code == 409
    expect(
        await client.patch(
            f"/api/v1/merchant/stores/{store_id}/categories/{mapped['id']}",
            json={"platform_category_id": None},
            headers=owner,
        ),
        200,
    )
    retired = expect(await client.post(f"{PLATFORM}/{tea['id']}/retire", headers=operator), 200)
    assert retired["retired"] is True
    # Retired: no longer offered to stores, nor accepted from them.
    public = expect(await client.get("/api/v1/shop/platform-categories"), 200)
    assert [c["name"] for c in public] == ["食品", "服饰"]
    refused = await client.patch(
        f"/api/v1/merchant/stores/{store_id}/categories/{mapped['id']}",
        json={"platform_category_id": tea["id"]},
        headers=owner,
    )
    assert refused.status_code == 404
    # Shoppers and merchants cannot change the tree.
    assert (await client.post(PLATFORM, json={"name": "x"}, headers=owner)).status_code == 403


async def test_a_line_pays_the_rate_of_its_platform_category_or_its_parent(api, runtime, runner):
    client = api.client
    market = await open_market(api, prices=(3333,), shipping=False)
    operator = await api.operator()
    food = expect(await client.post(PLATFORM, json={"name": "食品"}, headers=operator), 201)
    honey = expect(
        await client.post(
            PLATFORM, json={"name": "蜂蜜", "parent_id": food["id"]}, headers=operator
        ),
        201,
    )
    category = expect(
        await client.post(
            f"/api/v1/merchant/stores/{market.store_id}/categories",
            json={"name": "土蜂蜜", "platform_category_id": honey["id"]},
            headers=market.owner,
        ),
        201,
    )
    product = await api.create_product(
        market.store_id, market.owner, title="百花蜜", price_fen=10000, category_id=category["id"]
    )
    # Only the parent (食品) has a rate: the honey pays it.
    rate = {"plan": "basic", "platform_category_id": food["id"], "rate_bp": 200}
    expect(await client.put(f"{LEDGER}/fee-rates", json=rate, headers=operator), 200)
    order = await paid_order(market, [(product["skus"][0]["id"], 1), (market.skus[0], 1)])
    assert (await order_kinds(runtime, order["id"]))[K.STORE_FEE_HELD] == (
        10000 * 200 + 3333 * 500 + 5000
    ) // 10000
    # A store category id is not a platform category.
    unknown = await client.put(
        f"{LEDGER}/fee-rates",
        json={"plan": "basic", "platform_category_id": category["id"] + 1000, "rate_bp": 1},
        headers=operator,
    )
    assert unknown.status_code == 404


async def test_the_fee_page_picks_categories_and_stores_from_lists(api, client):
    operator = await api.operator()
    food = expect(await client.post(PLATFORM, json={"name": "食品"}, headers=operator), 201)
    await api.new_store("山野农场")
    await api.new_store("城市咖啡")
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/fees")
    assert f'<option value="{food["id"]}">食品</option>' in shown
    assert "山野农场" in shown and "城市咖啡" in shown
    narrowed = await page(client, "/platform/fees", store_q="咖啡")
    assert "城市咖啡" in narrowed and "山野农场" not in narrowed
    await post(
        client,
        "/platform/fees/rates",
        {"plan": "basic", "platform_category_id": str(food["id"]), "rate_percent": "2"},
    )
    shown = await page(client, "/platform/fees")
    assert "<td>食品</td>" in shown and "2.00%" in shown


async def test_the_platform_console_edits_the_tree(api, client):
    await operator_signs_in(api, client)
    await post(client, "/platform/categories", {"name": "服饰", "sort_order": "1"})
    shown = await page(client, "/platform/categories")
    assert 'value="服饰"' in shown
    operator = await api.operator()
    clothing = expect(await client.get(PLATFORM, headers=operator), 200)[0]
    await post(client, "/platform/categories", {"name": "卫衣", "parent_id": str(clothing["id"])})
    hoodie = expect(await client.get(PLATFORM, headers=operator), 200)[1]
    assert hoodie["parent_id"] == clothing["id"]
    await post(
        client,
        f"/platform/categories/{hoodie['id']}",
        {"name": "连帽卫衣", "parent_id": str(clothing["id"])},
    )
    refused = await post(client, f"/platform/categories/{clothing['id']}/retire", status=409)
    assert "请先移走或删除其子分类。" in refused.text
    await post(client, f"/platform/categories/{hoodie['id']}/retire")
    shown = await page(client, "/platform/categories")
    assert "连帽卫衣" in shown and "已停用" in shown
    blank = await post(client, "/platform/categories", {"name": ""}, status=422)
    assert "form-error" in blank.text


async def test_the_console_categories_page_nests_renames_maps_and_deletes(api, client):
    operator = await api.operator()
    tea = expect(await client.post(PLATFORM, json={"name": "茶叶"}, headers=operator), 201)
    store_id, owner = await api.new_store()
    use_session(client, owner)
    base = f"/console/stores/{store_id}/categories"
    assert redirected_to(await submit(client, base, {"name": "饮品"})).endswith("done=created")
    listed = f"/api/v1/merchant/stores/{store_id}/categories"
    drinks = expect(await client.get(listed, headers=owner), 200)[0]
    await submit(client, base, {"name": "绿茶", "parent_id": str(drinks["id"]), "sort_order": "2"})
    green = expect(await client.get(listed, headers=owner), 200)[1]
    assert green["parent_id"] == drinks["id"]
    saved = await submit(
        client,
        f"{base}/{drinks['id']}",
        {"name": "茶饮", "sort_order": "1", "platform_category_id": str(tea["id"])},
    )
    assert redirected_to(saved).endswith("done=saved")
    drinks = next(
        c for c in expect(await client.get(listed, headers=owner), 200) if c["id"] == drinks["id"]
    )
    assert (drinks["name"], drinks["platform_category_id"]) == ("茶饮", tea["id"])
    shown = (await console_page(client, base)).text
    assert 'value="茶饮"' in shown and f'<option value="{tea["id"]}" selected>' in shown
    # A category with a sub-category is not deleted; the page says why.
    refused = await submit(client, f"{base}/{drinks['id']}/delete", {})
    assert refused.status_code == 409 and "form-error" in refused.text
    assert redirected_to(await submit(client, f"{base}/{green['id']}/delete", {})).endswith(
        "done=deleted"
    )
    # Un-nesting: a blank parent makes it top level.
    await submit(client, base, {"name": "红茶", "parent_id": str(drinks["id"])})
    black = next(
        c for c in expect(await client.get(listed, headers=owner), 200) if c["name"] == "红茶"
    )
    await submit(client, f"{base}/{black['id']}", {"name": "红茶", "parent_id": ""})
    black = next(
        c for c in expect(await client.get(listed, headers=owner), 200) if c["name"] == "红茶"
    )
    assert black["parent_id"] is None
