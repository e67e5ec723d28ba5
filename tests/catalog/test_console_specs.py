"""The console's spec editor and archive/restore, through the pages as staff use them."""

from __future__ import annotations

import re

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.support import expect

SPECS = [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M"]}]


async def _product(api, client, store_id, owner, **kw) -> dict:
    return await api.create_product(store_id, owner, specs=SPECS, **kw)


async def _api_view(client, store_id, owner, product_id) -> dict:
    return expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{product_id}", headers=owner
        ),
        200,
    )


async def test_each_spec_form_changes_the_matrix(client, api) -> None:
    store_id, owner = await api.new_store()
    product = await _product(api, client, store_id, owner)
    use_session(client, owner)
    base = f"/console/stores/{store_id}/products/{product['id']}/specs"
    shown = await page(client, base)
    assert shown.status_code == 200
    assert "添加规格值" in shown.text or "Add value" in shown.text

    added = await submit(
        client,
        f"{base}/add",
        {"form_id": "add-0", "name": "颜色", "value": "绿", "price": "39.90", "stock": "6"},
    )
    assert redirected_to(added).endswith("/specs?done=value_added")
    view = await _api_view(client, store_id, owner, product["id"])
    green = [sku for sku in view["skus"] if sku["spec_values"]["颜色"] == "绿"]
    assert [(s["price_fen"], s["available"]) for s in green] == [(3990, 6), (3990, 6)]

    renamed = await submit(
        client,
        f"{base}/rename",
        {"form_id": "rename-1-1", "name": "尺码", "value": "M", "new_value": "中"},
    )
    redirected_to(renamed)
    retired = await submit(
        client, f"{base}/retire", {"form_id": "retire-0-0", "name": "颜色", "value": "红"}
    )
    redirected_to(retired)
    dimension = await submit(
        client,
        f"{base}/dimension",
        {
            "form_id": "dimension",
            "name": "款式",
            "values": "常规，加绒",
            "price": "69",
            "stock": "2",
        },
    )
    redirected_to(dimension)
    view = await _api_view(client, store_id, owner, product["id"])
    assert view["specs"] == [
        {"name": "颜色", "values": ["蓝", "绿"]},
        {"name": "尺码", "values": ["S", "中"]},
        {"name": "款式", "values": ["常规", "加绒"]},
    ]
    assert len(view["skus"]) == 8
    assert view["price_from_fen"] == 3990


async def test_a_refused_form_shows_its_error_and_changes_nothing(client, api) -> None:
    store_id, owner = await api.new_store()
    product = await _product(api, client, store_id, owner)
    use_session(client, owner)
    base = f"/console/stores/{store_id}/products/{product['id']}/specs"
    bad_price = await submit(
        client,
        f"{base}/add",
        {"form_id": "add-0", "name": "颜色", "value": "绿", "price": "12.345", "stock": "1"},
    )
    assert bad_price.status_code == 422
    assert 'id="e-add-0-price"' in bad_price.text
    assert 'value="绿"' in bad_price.text
    taken = await submit(
        client,
        f"{base}/rename",
        {"form_id": "rename-0-0", "name": "颜色", "value": "红", "new_value": "蓝"},
    )
    assert taken.status_code == 409
    assert 'id="e-rename-0-0-new_value"' in taken.text
    view = await _api_view(client, store_id, owner, product["id"])
    assert view["specs"] == SPECS and len(view["skus"]) == 4


async def test_archive_and_restore_from_the_console(client, api) -> None:
    store_id, owner = await api.new_store()
    product = await _product(api, client, store_id, owner, publish=False)
    use_session(client, owner)
    base = f"/console/stores/{store_id}"
    answer = await submit(client, f"{base}/products/{product['id']}/archive", {})
    assert redirected_to(answer).endswith("done=archived")
    listing = (await page(client, f"{base}/products")).text
    assert f"/products/{product['id']}/skus" not in listing
    archived = (await page(client, f"{base}/products", status="archived")).text
    assert f"/products/{product['id']}/restore" in archived
    answer = await submit(
        client,
        f"{base}/products/{product['id']}/restore",
        {"next": f"{base}/products?status=archived"},
    )
    assert redirected_to(answer).endswith("done=restored")
    view = await _api_view(client, store_id, owner, product["id"])
    assert view["status"] == "unpublished"


async def test_finance_staff_see_specs_but_cannot_change_them(client, api) -> None:
    store_id, owner = await api.new_store()
    product = await _product(api, client, store_id, owner)
    finance = await api.add_staff(store_id, owner, "finance")
    use_session(client, finance)
    base = f"/console/stores/{store_id}/products/{product['id']}/specs"
    shown = await page(client, base)
    assert shown.status_code == 200 and "/specs/add" not in shown.text
    refused = await submit(
        client,
        f"{base}/add",
        {"form_id": "add-0", "name": "颜色", "value": "绿", "price": "1", "stock": "1"},
    )
    assert refused.status_code == 403


async def test_import_from_the_console_previews_then_imports(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    base = f"/console/stores/{store_id}/product-imports"
    assert (await page(client, base)).status_code == 200
    template = await client.get(f"{base}/template.csv")
    assert template.content.startswith(b"\xef\xbb\xbf")
    bad = "商品标题,SKU编码,价格（元）,库存\r\n杯子,C1,1.234,5\r\n杯子,C1,2,5\r\n".encode()
    shown = await submit(client, f"{base}/preview", files={"file": ("a.csv", bad, "text/csv")})
    assert shown.status_code == 422
    assert '<td class="num">2</td>' in shown.text and '<td class="num">3</td>' in shown.text
    assert 'name="content"' not in shown.text

    good = "商品标题,SKU编码,价格（元）,库存\r\n杯子,C1,1.20,5\r\n".encode()
    shown = await submit(client, f"{base}/preview", files={"file": ("a.csv", good, "text/csv")})
    assert shown.status_code == 200
    content = re.search(r'name="content" value="([^"]+)"', shown.text).group(1)
    done = await submit(client, base, {"content": content})
    assert redirected_to(done).endswith("/product-imports?done=imported")
    listed = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products", headers=owner), 200
    )
    assert [(p["title"], p["price_from_fen"]) for p in listed["items"]] == [("杯子", 120)]
    # The same content again is refused row by row and imports nothing more.
    again = await submit(client, base, {"content": content})
    assert again.status_code == 422
