"""The console's warehouses: opening one (the first takes the stock), its stock per SKU,
receiving into a chosen warehouse, editing its region, and refusals shown on the form."""

from __future__ import annotations

import re

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.inventory.warehouse_shop import WarehouseShop


async def test_open_stock_edit_and_deactivate_a_warehouse(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    product = await api.create_product(store_id, owner, title="高山绿茶", stock=7)
    sku_id = product["skus"][0]["id"]
    shop = WarehouseShop(api, store_id, owner, [sku_id])
    base = f"/console/stores/{store_id}"

    empty = await page(client, f"{base}/warehouses")
    assert empty.status_code == 200 and f'href="{base}/warehouses"' in empty.text
    opened = await submit(
        client,
        f"{base}/warehouses",
        {"name": "杭州仓", "province": "浙江省", "city": "杭州市", "regions": "江苏省"},
    )
    first = int(re.search(r"/warehouses/(\d+)\?done=created", redirected_to(opened)).group(1))
    shown = await page(client, f"{base}/warehouses/{first}")
    assert "高山绿茶" in shown.text and "江苏省" in shown.text
    assert await shop.stock(sku_id) == {first: (7, 0)}

    taken = await submit(
        client, f"{base}/warehouses", {"name": "杭州仓", "province": "浙江省", "city": "杭州市"}
    )
    assert taken.status_code == 422 and 'id="e-name"' in taken.text
    no_province = await submit(client, f"{base}/warehouses", {"name": "北仓", "city": "北京"})
    assert no_province.status_code == 422 and 'id="e-province"' in no_province.text
    second_at = redirected_to(
        await submit(
            client, f"{base}/warehouses", {"name": "北仓", "province": "北京市", "city": "北京市"}
        )
    )
    second = int(re.search(r"/warehouses/(\d+)", second_at).group(1))

    # Goods received into the chosen warehouse from the SKU's stock page.
    sku_page = await page(client, f"{base}/stock/skus/{sku_id}")
    assert "北仓" in sku_page.text
    key = re.search(r'name="form_key" value="([^"]+)"', sku_page.text).group(1)
    movement = {
        "kind": "receive",
        "quantity": "4",
        "reason": "到货",
        "warehouse_id": str(second),
        "form_key": key,
    }
    redirected_to(await submit(client, f"{base}/stock/skus/{sku_id}/movements", movement))
    assert await shop.stock(sku_id) == {first: (7, 0), second: (4, 0)}

    full = await submit(client, f"{base}/warehouses/{second}", {"is_active": "false"})
    assert full.status_code == 422 and "form-error" in full.text
    edited = await submit(
        client,
        f"{base}/warehouses/{second}",
        {
            "form": "details",
            "name": "北京仓",
            "province": "北京市",
            "city": "北京市",
            "regions": ["天津市", "河北省"],
        },
    )
    assert redirected_to(edited).endswith("done=saved")
    listed = await page(client, f"{base}/warehouses")
    assert "北京仓" in listed.text and "天津市、河北省" in listed.text
