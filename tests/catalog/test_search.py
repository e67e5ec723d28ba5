"""Shop search: every term must be found in the title, subtitle, a spec value or a category
name (store or platform); Chinese terms of two characters work; results are ranked and the
search page marks what matched; the index follows every change."""

from __future__ import annotations

import re

from tests.storefront import page
from tests.support import expect
from weshop.catalog.search import highlight, terms_of

SHOP = "/api/v1/shop/products"
PLATFORM = "/api/v1/platform/categories"


def merchant(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def found(client, q: str, sort: str = "relevance") -> list[str]:
    answer = expect(await client.get(SHOP, params={"q": q, "sort": sort, "limit": 50}), 200)
    return [item["title"] for item in answer["items"]]


async def clothes_store(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator, "衣橱")
    store_id = store["id"]
    clothing = expect(await client.post(PLATFORM, json={"name": "服饰"}, headers=operator), 201)
    jeans_platform = expect(
        await client.post(
            PLATFORM, json={"name": "牛仔裤", "parent_id": clothing["id"]}, headers=operator
        ),
        201,
    )
    bottoms = expect(
        await client.post(
            merchant(store_id, "/categories"),
            json={"name": "下装", "platform_category_id": jeans_platform["id"]},
            headers=owner,
        ),
        201,
    )
    colours = [{"name": "颜色", "values": ["黑色", "浅蓝"]}, {"name": "尺码", "values": ["28"]}]
    jeans = await api.create_product(
        store_id, owner, title="直筒牛仔裤 男款", specs=colours, category_id=bottoms["id"]
    )
    slim = await api.create_product(
        store_id,
        owner,
        title="修身小脚裤",
        specs=[{"name": "颜色", "values": ["黑色"]}],
        category_id=bottoms["id"],
    )
    shirt = await api.create_product(
        store_id, owner, title="黑色衬衫", specs=[{"name": "尺码", "values": ["M", "L"]}]
    )
    return {
        "operator": operator,
        "owner": owner,
        "store_id": store_id,
        "jeans": jeans,
        "slim": slim,
        "shirt": shirt,
        "bottoms": bottoms,
        "jeans_platform": jeans_platform,
        "clothing": clothing,
    }


async def test_every_term_must_match_title_spec_or_category(api, client):
    await clothes_store(api, client)
    # 黑色 is a spec value of the jeans, 牛仔裤 in its title: both are needed.
    assert await found(client, "牛仔裤 黑色") == ["直筒牛仔裤 男款", "修身小脚裤"]
    # Two-character terms alone (a trigram index cannot look them up).
    assert await found(client, "衬衫") == ["黑色衬衫"]
    # Equal ranks: the newest first.
    assert await found(client, "黑色") == ["黑色衬衫", "修身小脚裤", "直筒牛仔裤 男款"]
    # The store category (下装) and the platform categories (服饰 > 牛仔裤) find products.
    assert set(await found(client, "下装")) == {"直筒牛仔裤 男款", "修身小脚裤"}
    assert set(await found(client, "服饰 小脚")) == {"修身小脚裤"}
    # A term nothing holds empties the result; case does not matter; LIKE signs are literal.
    assert await found(client, "牛仔裤 红色") == []
    assert await found(client, "黑色 m") == ["黑色衬衫"]
    assert await found(client, "%") == []
    assert await found(client, "_") == []


async def test_title_hits_rank_above_spec_and_category_hits(api, client):
    await clothes_store(api, client)
    # The shirt has 黑色 in its title; the jeans only as a spec value.
    ranked = await found(client, "黑色")
    assert ranked[0] == "黑色衬衫"
    # Both jeans match 牛仔裤 (one in its title, one by its platform category).
    assert await found(client, "牛仔裤") == ["直筒牛仔裤 男款", "修身小脚裤"]
    # The other sorts still filter the same way.
    assert set(await found(client, "牛仔裤", sort="newest")) == {"直筒牛仔裤 男款", "修身小脚裤"}


async def test_relevance_pages_neither_repeat_nor_skip(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    for n in range(7):
        title = f"黑色 T恤 {n}" if n % 2 else f"T恤 {n}"
        await api.create_product(
            store["id"], owner, title=title, specs=[{"name": "颜色", "values": ["黑色"]}]
        )
    seen, cursor = [], None
    while True:
        params = {"q": "黑色 t恤", "sort": "relevance", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        answer = expect(await client.get(SHOP, params=params), 200)
        seen += [item["title"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    # Both terms in the title first.
    assert all(title.startswith("黑色") for title in seen[:3])
    bad = await client.get(SHOP, params={"q": "黑色", "sort": "relevance", "cursor": "xyz"})
    assert bad.status_code == 422


async def test_unpublished_and_archived_products_are_not_found(api, client):
    shop = await clothes_store(api, client)
    store_id, owner, jeans = shop["store_id"], shop["owner"], shop["jeans"]
    expect(
        await client.post(merchant(store_id, f"/products/{jeans['id']}/unpublish"), headers=owner),
        200,
    )
    assert await found(client, "牛仔裤 黑色") == ["修身小脚裤"]
    expect(
        await client.post(merchant(store_id, f"/products/{jeans['id']}/publish"), headers=owner),
        200,
    )
    assert "直筒牛仔裤 男款" in await found(client, "牛仔裤 黑色")
    draft = await api.create_product(store_id, owner, title="草稿牛仔裤", publish=False)
    assert "草稿牛仔裤" not in await found(client, "牛仔裤")
    expect(
        await client.post(merchant(store_id, f"/products/{draft['id']}/archive"), headers=owner),
        200,
    )
    assert "草稿牛仔裤" not in await found(client, "牛仔裤")


async def test_the_index_follows_edits_and_category_renames(api, client):
    shop = await clothes_store(api, client)
    store_id, owner, operator = shop["store_id"], shop["owner"], shop["operator"]
    shirt = shop["shirt"]
    expect(
        await client.patch(
            merchant(store_id, f"/products/{shirt['id']}"),
            json={"title": "白色亚麻衬衫"},
            headers=owner,
        ),
        200,
    )
    assert await found(client, "黑色衬衫") == []
    assert await found(client, "亚麻") == ["白色亚麻衬衫"]
    # Renaming the store category: its products are found by the new name only.
    expect(
        await client.patch(
            merchant(store_id, f"/categories/{shop['bottoms']['id']}"),
            json={"name": "裤装"},
            headers=owner,
        ),
        200,
    )
    assert await found(client, "下装") == []
    assert set(await found(client, "裤装")) == {"直筒牛仔裤 男款", "修身小脚裤"}
    # Renaming the platform category reaches every store mapped onto it.
    expect(
        await client.patch(
            f"{PLATFORM}/{shop['jeans_platform']['id']}", json={"name": "丹宁裤"}, headers=operator
        ),
        200,
    )
    assert await found(client, "丹宁") == ["修身小脚裤", "直筒牛仔裤 男款"]
    # Unmapping the store category takes the platform names out of its products' documents.
    expect(
        await client.patch(
            merchant(store_id, f"/categories/{shop['bottoms']['id']}"),
            json={"platform_category_id": None},
            headers=owner,
        ),
        200,
    )
    assert await found(client, "丹宁") == []
    # Moving a product to no category.
    expect(
        await client.patch(
            merchant(store_id, f"/products/{shop['slim']['id']}"),
            json={"category_id": None},
            headers=owner,
        ),
        200,
    )
    assert await found(client, "裤装") == ["直筒牛仔裤 男款"]


async def test_the_search_page_ranks_and_marks_what_matched(api, client):
    await clothes_store(api, client)
    shown = await page(client, "/search", q="牛仔裤 黑色")
    first = shown.index("直筒")
    assert first < shown.index("修身小脚裤")
    assert "直筒<mark>牛仔裤</mark> 男款" in shown
    # The spec value that matched is shown, marked.
    assert "<mark>黑色</mark>" in shown[first:]


def test_highlight_escapes_everything_but_its_marks():
    marked = highlight("<b>黑色</b> & T恤", terms_of("黑色 t恤 b"))
    assert str(marked) == (
        "&lt;<mark>b</mark>&gt;<mark>黑色</mark>&lt;/<mark>b</mark>&gt; &amp; <mark>T恤</mark>"
    )
    # Overlapping terms make one mark; a term like a tag cannot inject one.
    assert str(highlight("牛仔裤", ["牛仔", "仔裤"])) == "<mark>牛仔裤</mark>"
    assert re.sub(r"</?mark>", "", str(highlight("<mark>", ["<mark>"]))) == "&lt;mark&gt;"


async def test_query_syntax_is_only_ever_text(api, client):
    """Words go to FTS5 as quoted phrases and to LIKE escaped: its operators and LIKE's
    wildcards are searched for as text, never obeyed, never an error."""
    await clothes_store(api, client)
    for q in [
        '"',
        '"""',
        "AND OR NOT",
        "***",
        "NEAR(黑色 牛仔裤)",
        "a'b",
        "\\\\",
        "^牛仔",
        '牛仔裤"',
    ]:
        answer = await client.get(SHOP, params={"q": q, "sort": "relevance"})
        assert answer.status_code == 200, (q, answer.text)
        assert answer.json()["items"] == [], q
    assert await found(client, "牛仔裤 ") == ["直筒牛仔裤 男款", "修身小脚裤"]


async def test_spec_edits_after_creation_reach_the_index(api, client):
    shop = await clothes_store(api, client)
    store_id, owner, jeans = shop["store_id"], shop["owner"], shop["jeans"]
    path = merchant(store_id, f"/products/{jeans['id']}/specs/values")
    expect(
        await client.post(
            path,
            json={"name": "颜色", "value": "藏青色", "price_fen": 9900, "stock": 5},
            headers=owner,
        ),
        200,
    )
    expect(
        await client.post(
            path + "/rename",
            json={"name": "颜色", "value": "浅蓝", "new_value": "雾霾蓝"},
            headers=owner,
        ),
        200,
    )
    assert await found(client, "牛仔裤 藏青色") == ["直筒牛仔裤 男款"]
    assert await found(client, "牛仔裤 雾霾蓝") == ["直筒牛仔裤 男款"]
    assert await found(client, "牛仔裤 浅蓝") == []
