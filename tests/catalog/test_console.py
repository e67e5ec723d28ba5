"""The console's products: the list, the product form making the SKU matrix, the bulk SKU
editor, images and publishing, through the pages as staff use them."""

from __future__ import annotations

import re

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.support import expect

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


async def _new_product(client, store_id: int, **fields) -> int:
    data = {
        "title": "纯棉T恤",
        "default_price_fen": "59.90",
        "default_stock": "10",
        "specs.0.name": "颜色",
        "specs.0.values": "红, 蓝，黑",
        "specs.1.name": "尺码",
        "specs.1.values": "S、M、L、XL",
        **fields,
    }
    location = redirected_to(await submit(client, f"/console/stores/{store_id}/products/new", data))
    found = re.search(r"/products/(\d+)/skus\?done=created$", location)
    assert found, location
    return int(found.group(1))


async def test_a_product_with_two_specs_gets_the_whole_matrix_and_its_prices(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    product_id = await _new_product(client, store_id)
    base = f"/console/stores/{store_id}/products/{product_id}"

    editor = await page(client, f"{base}/skus", done="created")
    assert editor.status_code == 200
    sku_ids = [int(i) for i in re.findall(r'name="price\.(\d+)"', editor.text)]
    assert len(sku_ids) == 12
    assert "商品已创建" in editor.text
    form_key = re.search(r'name="form_key" value="([^"]+)"', editor.text).group(1)

    prices = {f"price.{sku_id}": f"{60 + index}.50" for index, sku_id in enumerate(sku_ids)}
    rows = {}
    for sku_id in sku_ids:
        rows |= {f"code.{sku_id}": f"TS-{sku_id}", f"active.{sku_id}": "on"}
        rows |= {f"stock.{sku_id}": "10", f"seen_stock.{sku_id}": "10"}
    rows[f"stock.{sku_ids[0]}"] = "25"
    rows["form_key"] = form_key
    assert redirected_to(await submit(client, f"{base}/skus", prices | rows)).endswith(
        "/skus?done=saved"
    )
    # The same form sent again (a double click, a retry) moves the stock once.
    redirected_to(await submit(client, f"{base}/skus", prices | rows))
    redirected_to(await submit(client, f"{base}/publish", {}))

    shop = expect(await client.get(f"/api/v1/shop/products/{product_id}"), 200)
    by_id = {sku["id"]: sku for sku in shop["skus"]}
    assert [by_id[i]["price_fen"] for i in sku_ids] == [6050 + 100 * n for n in range(12)]
    assert by_id[sku_ids[0]]["available"] == 25 and by_id[sku_ids[1]]["available"] == 10
    assert shop["price_from_fen"] == 6050


async def test_set_all_helpers_apply_to_every_row(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    product_id = await _new_product(client, store_id)
    base = f"/console/stores/{store_id}/products/{product_id}"
    editor = (await page(client, f"{base}/skus")).text
    rows = {}
    for sku_id in re.findall(r'name="price\.(\d+)"', editor):
        rows |= {f"price.{sku_id}": "59.90", f"code.{sku_id}": f"C{sku_id}"}
        rows |= {f"active.{sku_id}": "on", f"stock.{sku_id}": "10", f"seen_stock.{sku_id}": "10"}
    answer = await submit(client, f"{base}/skus", rows | {"all_price": "88", "all_stock": "3"})
    redirected_to(answer)
    owner_view = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{product_id}", headers=owner
        ),
        200,
    )
    assert {sku["price_fen"] for sku in owner_view["skus"]} == {8800}
    assert {sku["available"] for sku in owner_view["skus"]} == {3}


async def test_bad_rows_show_errors_next_to_them_and_save_nothing(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    product_id = await _new_product(client, store_id)
    base = f"/console/stores/{store_id}/products/{product_id}"
    sku_ids = re.findall(r'name="price\.(\d+)"', (await page(client, f"{base}/skus")).text)
    rows = {}
    for sku_id in sku_ids:
        rows |= {f"price.{sku_id}": "70", f"code.{sku_id}": f"C{sku_id}", f"active.{sku_id}": "on"}
        rows |= {f"stock.{sku_id}": "10", f"seen_stock.{sku_id}": "10"}
    rows[f"price.{sku_ids[1]}"] = "12.345"
    rows[f"stock.{sku_ids[2]}"] = "-4"
    answer = await submit(client, f"{base}/skus", rows)
    assert answer.status_code == 422
    assert f'id="e-price.{sku_ids[1]}"' in answer.text
    assert f'id="e-stock.{sku_ids[2]}"' in answer.text
    # A taken code is the service's refusal: the whole table is undone, the row is marked.
    rows[f"price.{sku_ids[1]}"], rows[f"stock.{sku_ids[2]}"] = "70", "10"
    rows[f"code.{sku_ids[3]}"] = f"C{sku_ids[0]}"
    answer = await submit(client, f"{base}/skus", rows)
    assert answer.status_code in (409, 422)
    assert f'id="e-code.{sku_ids[3]}"' in answer.text
    owner_view = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{product_id}", headers=owner
        ),
        200,
    )
    assert {sku["price_fen"] for sku in owner_view["skus"]} == {5990}


async def test_the_product_form_shows_field_errors_and_creates_nothing(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    answer = await submit(
        client,
        f"/console/stores/{store_id}/products/new",
        {
            "title": "",
            "default_price_fen": "abc",
            "default_stock": "5",
            "specs.0.name": "颜色",
            "specs.0.values": "",
            "specs.1.name": "颜色",
            "specs.1.values": "S",
        },
    )
    assert answer.status_code == 422
    for field in ("title", "default_price_fen", "specs.0.values", "specs.1.name"):
        assert f'id="e-{field}"' in answer.text, field
    listing = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products", headers=owner), 200
    )
    assert listing["items"] == []


async def test_the_list_searches_and_filters(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    await api.create_product(store_id, owner, title="高山绿茶", publish=True)
    await api.create_product(store_id, owner, title="野生蜂蜜", publish=False)
    everything = await page(client, f"/console/stores/{store_id}/products")
    assert "高山绿茶" in everything.text and "野生蜂蜜" in everything.text
    searched = await page(client, f"/console/stores/{store_id}/products", q="蜂蜜")
    assert "野生蜂蜜" in searched.text and "高山绿茶" not in searched.text
    on_sale = await page(client, f"/console/stores/{store_id}/products", status="published")
    assert "高山绿茶" in on_sale.text and "野生蜂蜜" not in on_sale.text


async def test_images_are_uploaded_edited_and_the_product_unpublished(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    product = await api.create_product(store_id, owner, title="高山绿茶")
    base = f"/console/stores/{store_id}/products/{product['id']}"
    answer = await submit(client, f"{base}/images", files={"images": ("tea.png", PNG, "image/png")})
    redirected_to(answer)
    edit = await page(client, base)
    assert 'src="/media/' in edit.text and "alt=" in edit.text
    not_image = await submit(
        client, f"{base}/images", files={"images": ("x.png", b"nope", "image/png")}
    )
    assert not_image.status_code == 422 and 'id="e-images"' in not_image.text

    redirected_to(
        await submit(client, base, {"title": "明前绿茶", "subtitle": "", "description": ""})
    )
    blank = await submit(client, base, {"title": " ", "subtitle": "", "description": ""})
    assert blank.status_code == 422 and 'id="e-title"' in blank.text
    redirected_to(await submit(client, f"{base}/unpublish", {}))
    owner_view = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{product['id']}", headers=owner
        ),
        200,
    )
    assert owner_view["title"] == "明前绿茶" and owner_view["status"] == "unpublished"
    assert len(owner_view["images"]) == 1


async def test_roles_and_tenants(client, api) -> None:
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家小店")
    product = await api.create_product(other_id, other_owner)
    finance = await api.add_staff(store_id, owner, "finance")
    use_session(client, finance)
    listing = await page(client, f"/console/stores/{store_id}/products")
    assert listing.status_code == 200
    assert "/products/new" not in listing.text
    assert (await page(client, f"/console/stores/{store_id}/products/new")).status_code == 403
    refused = await submit(client, f"/console/stores/{store_id}/products/new", {"title": "x"})
    assert refused.status_code == 403
    use_session(client, owner)
    assert (
        await page(client, f"/console/stores/{store_id}/products/{product['id']}")
    ).status_code == 404
    assert (await page(client, f"/console/stores/{other_id}/products")).status_code == 404
    publish = await submit(client, f"/console/stores/{store_id}/products/{product['id']}/publish")
    assert publish.status_code == 404
