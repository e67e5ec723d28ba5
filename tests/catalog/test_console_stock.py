"""The console's stock: the low-stock list, finding SKUs, movements and manual adjustment."""

from __future__ import annotations

import re

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.support import expect


async def _product(api, store_id, owner, title="高山绿茶", stock=3) -> dict:
    return await api.create_product(
        store_id,
        owner,
        title=title,
        stock=stock,
        specs=[{"name": "规格", "values": ["250g", "500g"]}],
    )


async def test_low_stock_and_search(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    tea = await _product(api, store_id, owner, stock=3)
    await _product(api, store_id, owner, title="野生蜂蜜", stock=50)
    stock = await page(client, f"/console/stores/{store_id}/stock")
    assert stock.status_code == 200
    for sku in tea["skus"]:
        assert f"/stock/skus/{sku['id']}" in stock.text
    assert "野生蜂蜜" not in stock.text
    found = await page(client, f"/console/stores/{store_id}/stock", q="蜂蜜")
    assert "野生蜂蜜" in found.text
    by_code = await page(client, f"/console/stores/{store_id}/stock", q=tea["skus"][1]["sku_code"])
    assert f"/stock/skus/{tea['skus'][1]['id']}" in by_code.text


async def test_a_movement_is_recorded_once_and_shown(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    sku_id = (await _product(api, store_id, owner, stock=3))["skus"][0]["id"]
    base = f"/console/stores/{store_id}/stock/skus/{sku_id}"
    form = await page(client, base)
    key = re.search(r'name="form_key" value="([^"]+)"', form.text).group(1)
    movement = {"kind": "receive", "quantity": "20", "reason": "到货单 A-17", "form_key": key}
    assert redirected_to(await submit(client, f"{base}/movements", movement)).endswith("done=moved")
    # The same form sent twice (a double click, a retry) moves the stock once.
    redirected_to(await submit(client, f"{base}/movements", movement))
    level = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/skus/{sku_id}/stock", headers=owner),
        200,
    )
    assert level["available"] == 23
    shown = await page(client, base)
    assert "到货单 A-17" in shown.text and "+20" in shown.text

    redirected_to(await submit(client, f"{base}/threshold", {"threshold": "30"}))
    level = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/skus/{sku_id}/stock", headers=owner),
        200,
    )
    assert level["low_stock_threshold"] == 30


async def test_bad_adjustments_show_errors_and_write_nothing(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    sku_id = (await _product(api, store_id, owner, stock=3))["skus"][0]["id"]
    base = f"/console/stores/{store_id}/stock/skus/{sku_id}"
    too_many = await submit(
        client, f"{base}/movements", {"kind": "adjust", "quantity": "-9", "reason": "盘点"}
    )
    assert too_many.status_code == 409 and 'id="e-quantity"' in too_many.text
    no_reason = await submit(client, f"{base}/movements", {"kind": "adjust", "quantity": "-1"})
    assert no_reason.status_code == 422 and 'id="e-reason"' in no_reason.text
    bad_threshold = await submit(client, f"{base}/threshold", {"threshold": "-1"})
    assert bad_threshold.status_code == 422 and 'id="e-threshold"' in bad_threshold.text
    level = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/skus/{sku_id}/stock", headers=owner),
        200,
    )
    assert level["available"] == 3


async def test_roles_and_tenants(client, api) -> None:
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家小店")
    theirs = (await _product(api, other_id, other_owner))["skus"][0]["id"]
    use_session(client, owner)
    assert (
        await page(client, f"/console/stores/{store_id}/stock/skus/{theirs}")
    ).status_code == 404
    moved = await submit(
        client,
        f"/console/stores/{store_id}/stock/skus/{theirs}/movements",
        {"kind": "receive", "quantity": "5", "reason": "x"},
    )
    assert moved.status_code == 404
    finance = await api.add_staff(store_id, owner, "finance")
    use_session(client, finance)
    dashboard = await page(client, f"/console/stores/{store_id}")
    assert f'href="/console/stores/{store_id}/stock"' not in dashboard.text
    assert (await page(client, f"/console/stores/{store_id}/stock")).status_code == 403
