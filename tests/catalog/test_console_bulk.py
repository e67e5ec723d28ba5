"""The products list's bulk tools in the console: tick, preview, confirm; all or nothing,
with the roles and the store scope of the single edits."""

from __future__ import annotations

import re

import httpx

from tests.catalog.test_bulk import shop_with_products, snapshot
from tests.orders.test_console import HTML, csrf_of, use_session


def form_of(page: httpx.Response) -> dict[str, str | list[str]]:
    """The confirm form's hidden fields, as the browser sends them back."""
    form = page.text[page.text.index("/products/bulk/apply") :]
    data: dict[str, str | list[str]] = {"csrf_token": csrf_of(page)}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        if name == "product_ids":
            data.setdefault("product_ids", [])
            data["product_ids"].append(value)  # type: ignore[union-attr]
        elif name != "csrf_token":
            data[name] = value
    return data


async def preview(client, store_id: int, data: dict) -> httpx.Response:
    page = await client.get(f"/console/stores/{store_id}/products", headers=HTML)
    return await client.post(
        f"/console/stores/{store_id}/products/bulk/preview",
        data={"csrf_token": csrf_of(page), **data},
        headers=HTML,
    )


async def test_the_list_has_checkboxes_and_the_action_bar_for_roles_that_edit(api, client):
    store_id, owner, _products = await shop_with_products(api, count=2)
    use_session(client, owner)
    page = await client.get(f"/console/stores/{store_id}/products", headers=HTML)
    assert page.text.count('name="product_ids"') == 2
    assert 'id="bulk-products"' in page.text and "批量下架" in page.text
    finance = await api.add_staff(store_id, owner, "finance")
    use_session(client, finance)
    read_only = await client.get(f"/console/stores/{store_id}/products", headers=HTML)
    assert read_only.status_code == 200
    assert 'name="product_ids"' not in read_only.text and "bulk-products" not in read_only.text


async def test_unpublish_is_previewed_then_applied(api, client):
    store_id, owner, products = await shop_with_products(api, count=3)
    use_session(client, owner)
    ids = [str(p["id"]) for p in products[:2]]
    shown = await preview(
        client, store_id, {"action": "unpublish", "product_ids": ids, "next": "/x"}
    )
    assert shown.status_code == 200
    assert "商品0" in shown.text and "商品1" in shown.text and "商品2" not in shown.text
    assert [p["status"] for p in await snapshot(api, store_id, owner, products)] == [
        "published"
    ] * 3
    data = form_of(shown)
    assert data["product_ids"] == ids and data["action"] == "unpublish"
    data["next"] = f"/console/stores/{store_id}/products?status=published"
    done = await client.post(
        f"/console/stores/{store_id}/products/bulk/apply", data=data, headers=HTML
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith("products?status=published&bulk=unpublish&count=2")
    listing = await client.get(done.headers["location"], headers=HTML)
    assert "已下架 2 件商品。" in listing.text
    after = await snapshot(api, store_id, owner, products)
    assert [p["status"] for p in after] == ["unpublished", "unpublished", "published"]


async def test_a_price_change_shows_each_sku_before_and_after(api, client):
    store_id, owner, products = await shop_with_products(api, count=1, price_fen=1990)
    use_session(client, owner)
    ids = [str(products[0]["id"])]
    shown = await preview(
        client,
        store_id,
        {"action": "price", "product_ids": ids, "price_mode": "percent", "price_value": "-10"},
    )
    assert shown.status_code == 200
    assert "¥19.90" in shown.text and "¥17.91" in shown.text
    done = await client.post(
        f"/console/stores/{store_id}/products/bulk/apply", data=form_of(shown), headers=HTML
    )
    assert done.status_code == 303
    after = await snapshot(api, store_id, owner, products)
    assert {s["price_fen"] for s in after[0]["skus"]} == {1791}
    too_low = await preview(
        client,
        store_id,
        {"action": "price", "product_ids": ids, "price_mode": "add", "price_value": "-17.91"},
    )
    assert too_low.status_code == 409 and "¥0.01" in too_low.text
    assert "/products/bulk/apply" in too_low.text and "确认" not in too_low.text
    typo = await preview(
        client, store_id, {"action": "price", "product_ids": ids, "price_value": "abc"}
    )
    assert typo.status_code == 422 and "请输入以元为单位的金额" in typo.text


async def test_stock_is_set_through_movements_and_enter_picks_the_filled_box(api, client):
    store_id, owner, products = await shop_with_products(api, count=2, stock=8)
    use_session(client, owner)
    ids = [str(p["id"]) for p in products]
    shown = await preview(
        client,
        store_id,
        {"action": "auto", "product_ids": ids, "stock_mode": "set", "stock_quantity": "30"},
    )
    assert shown.status_code == 200 and "批量改库存" in shown.text
    done = await client.post(
        f"/console/stores/{store_id}/products/bulk/apply", data=form_of(shown), headers=HTML
    )
    assert done.status_code == 303
    after = await snapshot(api, store_id, owner, products)
    assert {s["available"] for p in after for s in p["skus"]} == {30}
    negative = await preview(
        client,
        store_id,
        {"action": "stock", "product_ids": ids, "stock_mode": "add", "stock_quantity": "-31"},
    )
    assert negative.status_code == 409 and "库存不能小于 0。" in negative.text


async def test_roles_and_store_scope_hold_for_every_bulk_action(api, client, runtime):
    store_id, owner, products = await shop_with_products(api, count=1)
    other_id, other_owner, others = await shop_with_products(api, count=1)
    ids = [str(products[0]["id"]), str(others[0]["id"])]
    use_session(client, owner)
    for action in ("publish", "unpublish", "price", "stock"):
        data = {
            "action": action,
            "product_ids": ids,
            "price_value": "1",
            "stock_quantity": "1",
        }
        shown = await preview(client, store_id, data)
        assert shown.status_code == 404, action
        assert others[0]["title"] not in shown.text or others[0]["title"] == products[0]["title"]
        page = await client.get(f"/console/stores/{store_id}/products", headers=HTML)
        applied = await client.post(
            f"/console/stores/{store_id}/products/bulk/apply",
            data={"csrf_token": csrf_of(page), **data},
            headers=HTML,
        )
        assert applied.status_code == 404, action
    service = await api.add_staff(store_id, owner, "customer_service")
    use_session(client, service)
    for action in ("unpublish", "price", "stock"):
        data = {"action": action, "product_ids": ids[:1], "price_value": "1", "stock_quantity": "1"}
        shown = await preview(client, store_id, data)
        assert shown.status_code == 403, action
    mine = await snapshot(api, store_id, owner, products)
    theirs = await snapshot(api, other_id, other_owner, others)
    for product in mine + theirs:
        assert product["status"] == "published"
        assert {(s["price_fen"], s["available"]) for s in product["skus"]} == {(9900, 100)}


async def test_nothing_selected_or_too_many_is_said_in_chinese(api, client):
    store_id, owner, _products = await shop_with_products(api, count=1)
    use_session(client, owner)
    none = await preview(client, store_id, {"action": "unpublish"})
    assert none.status_code == 422 and "请至少选择一件商品。" in none.text
    many = await preview(
        client, store_id, {"action": "unpublish", "product_ids": [str(n) for n in range(1, 52)]}
    )
    assert many.status_code == 422 and "最多选择 50 件商品。" in many.text
