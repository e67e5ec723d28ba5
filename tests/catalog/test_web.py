"""Storefront pages of the catalogue: mall home, store home, product, search; and what every
storefront page shares (size budget, CSRF on every form route, a suspended store)."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from tests.storefront import HTML, page
from tests.support import expect
from weshop.routes import STOREFRONT_PAGES

SIZES = [{"name": "尺码", "values": ["M", "L", "XL"]}]


async def tshirt(api, store_id: int, owner, **changes) -> dict:
    """A T-shirt in three sizes: M at ¥59 with 3 in stock, L sold out, XL at ¥69."""
    skus = [
        {"spec_values": {"尺码": "M"}, "price_fen": 5900, "stock": 3},
        {"spec_values": {"尺码": "L"}, "price_fen": 5900, "stock": 0},
        {"spec_values": {"尺码": "XL"}, "price_fen": 6900, "stock": 8},
    ]
    return await api.create_product(
        store_id, owner, title="纯棉圆领T恤", specs=SIZES, skus=skus, **changes
    )


async def test_the_mall_home_lists_open_stores_and_best_sellers(api, client) -> None:
    store_id, owner = await api.new_store("简衣工坊")
    await tshirt(api, store_id, owner)
    home = await page(client, "/")
    assert "WeShop 商城" in home and f'href="/s/{store_id}"' in home
    assert "纯棉圆领T恤" in home and "¥59.00" in home and 'aria-current="page"' in home


async def test_the_store_home_has_banner_categories_products_and_a_share_card(api, client) -> None:
    store_id, owner = await api.new_store("简衣工坊")
    category = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories", json={"name": "上衣"}, headers=owner
        ),
        201,
    )
    await tshirt(api, store_id, owner, category_id=category["id"])
    await api.create_product(store_id, owner, title="牛仔裤", price_fen=12900)
    home = await page(client, f"/s/{store_id}")
    assert "<h2>简衣工坊</h2>" in home and "上衣" in home
    assert "纯棉圆领T恤" in home and "牛仔裤" in home
    assert '<meta property="og:title" content="简衣工坊">' in home
    assert f'<meta property="og:url" content="http://test/s/{store_id}">' in home
    filtered = await page(client, f"/s/{store_id}", category=category["id"])
    assert "纯棉圆领T恤" in filtered and "牛仔裤" not in filtered


async def test_the_product_page_offers_only_in_stock_specs_with_price_and_stock(api, client):
    store_id, owner = await api.new_store("简衣工坊")
    product = await tshirt(api, store_id, owner)
    text = await page(client, f"/p/{product['id']}")
    assert "¥59.00 – ¥69.00" in text  # the sold-out L is not in the range
    options = dict(re.findall(r'<label for="sku-\d+">(\w+)<small>([^<]+)</small>', text))
    assert options == {"M": "¥59.00 · 库存 3", "L": "¥59.00 · 已售罄", "XL": "¥69.00 · 库存 8"}
    sold_out = next(s for s in product["skus"] if s["spec_values"] == {"尺码": "L"})
    assert re.search(rf'id="sku-{sold_out["id"]}"[^>]* disabled', text)
    assert '<meta property="og:title" content="纯棉圆领T恤">' in text
    assert f'<meta property="og:url" content="http://test/p/{product["id"]}">' in text
    assert 'property="og:description"' in text and "加入购物车" in text


async def test_a_product_with_pictures_shares_its_cover(api, client) -> None:
    store_id, owner = await api.new_store("山野农场")
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    media = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/media",
            files={"file": ("tea.png", png, "image/png")},
            headers=owner,
        ),
        201,
    )
    product = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/products",
            json={
                "title": "明前龙井",
                "image_ids": [media["id"]],
                "default_price_fen": 16800,
                "default_stock": 5,
                "publish": True,
            },
            headers=owner,
        ),
        201,
    )
    text = await page(client, f"/p/{product['id']}")
    assert f'<meta property="og:image" content="http://test{media["url"]}">' in text
    assert f'<img src="{media["url"]}" alt="明前龙井 1">' in text


async def test_a_sold_out_product_offers_nothing_to_buy(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, title="限量茶饼", stock=0)
    text = await page(client, f"/p/{product['id']}")
    assert "抱歉，该商品已售罄" in text and 'name="intent"' not in text


async def test_search_finds_products_by_every_word(api, client) -> None:
    store_id, owner = await api.new_store()
    await api.create_product(store_id, owner, title="高山云雾绿茶")
    await api.create_product(store_id, owner, title="野生蜂蜜")
    found = await page(client, "/search", q="绿茶")
    assert "高山云雾绿茶" in found and "野生蜂蜜" not in found
    none = await page(client, "/search", q="咖啡")
    assert "没有找到“咖啡”相关的商品" in none
    assert "输入想找的商品" in await page(client, "/search")


async def test_a_suspended_store_says_so_and_offers_nothing(api, client) -> None:
    operator = await api.operator()
    store, owner = await api.create_store(operator, "暂停小店")
    product = await api.create_product(store["id"], owner, title="停售商品")
    expect(
        await client.post(f"/api/v1/platform/stores/{store['id']}/suspend", headers=operator), 200
    )
    home = await page(client, f"/s/{store['id']}")
    assert "店铺已暂停营业" in home and "停售商品" not in home
    product_page = await page(client, f"/p/{product['id']}")
    assert "该店铺已暂停营业，暂不接受下单" in product_page and "/cart/items" not in product_page
    assert "停售商品" not in await page(client, "/")


async def test_unknown_pages_are_pages_not_json(client) -> None:
    for path in ("/p/999999", "/s/999999"):
        answer = await client.get(path, headers=HTML)
        assert answer.status_code == 404 and "找不到该页面" in answer.text
    bad_sort = await client.get("/search?q=x&sort=nope", headers=HTML)
    assert bad_sort.status_code == 422 and "text/html" in bad_sort.headers["content-type"]


async def test_the_store_home_is_under_50_kb_with_its_css_and_js(api, client) -> None:
    """The first page a shared link opens, with a full page of products, before images."""
    store_id, owner = await api.new_store("简衣工坊")
    for n in range(20):
        await api.create_product(store_id, owner, title=f"纯棉圆领T恤 第{n}款", price_fen=5900)
    answer = await client.get(f"/s/{store_id}", headers=HTML)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', answer.text)
    assert {"/static/base.css", "/static/shop.css", "/static/shop.js"} <= set(assets)
    total = len(answer.content)
    for asset in assets:
        total += len((await client.get(asset)).content)
    assert total < 50 * 1024, f"{total} bytes"


async def test_every_storefront_form_route_refuses_a_post_without_the_csrf_token(client):
    checked = 0
    for router in STOREFRONT_PAGES:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods - {"GET", "HEAD"}:
                path = re.sub(r"\{[^}]+\}", "1", route.path)
                answer = await client.request(method, path, data={"x": "1"}, headers=HTML)
                assert answer.status_code == 403 and "csrf_failed" in answer.text, route.path
                checked += 1
    assert checked >= 12
