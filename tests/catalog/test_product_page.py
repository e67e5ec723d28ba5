"""The product page as served (before any script runs): a row per spec dimension with the
values no SKU in stock has greyed out, the plain one-button-per-SKU form for browsers
without scripts, the gallery's counter, the heart and the share entry."""

from __future__ import annotations

import re

from tests.catalog.test_detail import PNG
from tests.catalog.test_web import tshirt
from tests.storefront import page
from tests.support import expect


async def test_spec_rows_grey_out_what_no_sku_in_stock_has(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(
        store_id,
        owner,
        title="直筒牛仔裤",
        specs=[
            {"name": "颜色", "values": ["浅蓝", "黑色"]},
            {"name": "尺码", "values": ["28", "29"]},
        ],
        skus=[
            {"spec_values": {"颜色": "黑色", "尺码": "28"}, "stock": 0},
            {"spec_values": {"颜色": "浅蓝", "尺码": "28"}, "stock": 0},
        ],
    )
    text = await page(client, f"/p/{product['id']}")
    rows = re.findall(r'<fieldset class="dim" data-dim="([^"]+)"', text)
    assert rows == ["颜色", "尺码"]
    assert re.search(r'data-value="28" aria-pressed="false" disabled', text)
    assert re.search(r'data-value="29" aria-pressed="false">', text)
    assert 'data-missing="请选择 尺码"' in text and "请选择 颜色 尺码" in text
    # Without scripts: the form of one button per SKU, never the browser's own validation.
    assert 'id="buy" novalidate' in text and " required" not in text
    assert len(re.findall(r'<input type="radio" name="sku_id"', text)) == 4
    assert '<script src="/static/product.js" defer></script>' in text


async def test_gallery_counter_heart_and_share_entry(api, client) -> None:
    store_id, owner = await api.new_store()
    ids = []
    for n in range(2):
        ids.append(
            expect(
                await client.post(
                    f"/api/v1/merchant/stores/{store_id}/media",
                    # A byte after the end: the same bytes would be the same asset.
                    files={"file": (f"{n}.png", PNG + bytes([n]), "image/png")},
                    headers=owner,
                ),
                201,
            )["id"]
        )
    product = await tshirt(api, store_id, owner)
    expect(
        await client.patch(
            f"/api/v1/merchant/stores/{store_id}/products/{product['id']}",
            json={"image_ids": ids},
            headers=owner,
        ),
        200,
    )
    text = await page(client, f"/p/{product['id']}")
    assert "<span data-gallery-index>1</span>/2" in text
    assert 'action="/me/favourites"' in text and ">收藏</span>" in text
    assert f'data-share="http://test/p/{product["id"]}"' in text
    assert f'value="http://test/p/{product["id"]}" data-share-link' in text
    assert "点击右上角 ··· ，发送给朋友或分享到朋友圈。" in text
