"""The page cache: kept pages cost no SQL, and any committed change shows on the next request,
whoever made it; each visitor gets their own form token; carts are kept per session."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import event, text

from tests.storefront import HTML, page, post, shopper, sign_in_page
from tests.support import Api, all_routes, expect
from weshop.accounts.auth import current_operator, current_user
from weshop.accounts.page_session import optional_page_user, page_operator, page_user
from weshop.core.db import Database
from weshop.core.table_versions import TableVersions
from weshop.web.response_cache import AUDIENCE_ATTRIBUTE, Audience, ResponseCache, cached_response

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def counted_statements(runtime: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engines = {runtime.db.engine.sync_engine, runtime.db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def _product(api: Api, **fields: Any) -> tuple[int, dict, dict]:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, **fields)
    return store_id, owner, product


async def test_a_kept_page_is_answered_without_sql(api: Api, client: httpx.AsyncClient, runtime):
    store_id, _, product = await _product(api, title="云南小粒咖啡")
    for path in ("/", f"/s/{store_id}", f"/p/{product['id']}", "/search?q=咖啡"):
        first = await page(client, path)
        with counted_statements(runtime) as statements:
            again = await page(client, path)
        assert statements == [], path
        assert again == first
        assert "云南小粒咖啡" in again


async def test_a_change_in_the_console_shows_on_the_next_request(
    api: Api, client: httpx.AsyncClient
):
    store_id, owner, product = await _product(api, title="旧标题")
    url = f"/api/v1/merchant/stores/{store_id}/products/{product['id']}"
    assert "旧标题" in await page(client, f"/p/{product['id']}")
    assert "旧标题" in await page(client, f"/s/{store_id}")

    expect(await client.patch(url, json={"title": "新标题"}, headers=owner), 200)

    assert "新标题" in await page(client, f"/p/{product['id']}")
    assert "新标题" in await page(client, f"/s/{store_id}")


async def test_stock_taken_by_an_order_shows_on_the_product_page(
    api: Api, client: httpx.AsyncClient
):
    _, _, product = await _product(api, stock=5)
    client.cookies.set("weshop_lang", "en")
    assert "5 in stock" in await page(client, f"/p/{product['id']}")
    buyer = await api.sign_in()
    address = await api.add_address(buyer)
    sku_id = product["skus"][0]["id"]
    expect(await api.place_order(buyer, address["id"], [(sku_id, 2)]), 201)
    assert "3 in stock" in await page(client, f"/p/{product['id']}")


async def test_a_change_committed_by_another_process_shows(
    api: Api, client: httpx.AsyncClient, settings
):
    _, _, product = await _product(api, title="进程一")
    path = f"/p/{product['id']}"
    assert "进程一" in await page(client, path)
    # Another process of the installation: its own engines, the same database and data_dir.
    other = Database(
        settings.database_url,
        versions=TableVersions.for_database(settings.data_dir, settings.database_url),
    )
    try:
        async with other.transaction() as session:
            await session.execute(
                text("UPDATE products SET title = :title WHERE id = :id"),
                {"title": "进程二", "id": product["id"]},
            )
    finally:
        await other.dispose()
    assert "进程二" in await page(client, path)


async def test_each_visitor_gets_their_own_form_token(api: Api, client: httpx.AsyncClient, app):
    _, _, product = await _product(api, stock=10)
    path = f"/p/{product['id']}"
    await page(client, path)  # kept, with this visitor's token

    transport = httpx.ASGITransport(app=app, client=("198.51.100.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        first_visit = await other.get(path, headers=HTML)
        assert "weshop_csrf" in first_visit.cookies
        await sign_in_page(other)
        html = await page(other, path)
        token = TOKEN.search(html)
        assert token
        sku_id = product["skus"][0]["id"]
        added = await other.post(
            "/cart/items",
            data={"csrf_token": token.group(1), "sku_id": sku_id, "quantity": 1},
            headers=HTML,
        )
        assert added.status_code == 303, added.text[:500]
        assert "纯棉T恤" in await page(other, "/cart")
    assert TOKEN.search(await page(client, path)).group(1) != token.group(1)


async def test_carts_are_kept_per_session(api: Api, client: httpx.AsyncClient, app):
    _, _, tea = await _product(api, title="普洱茶")
    _, _, honey = await _product(api, title="土蜂蜜")
    await shopper(api, client)
    await post(client, "/cart/items", {"sku_id": tea["skus"][0]["id"], "quantity": 1})
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        await shopper(api, other)
        await post(other, "/cart/items", {"sku_id": honey["skus"][0]["id"], "quantity": 1})
        for _ in range(2):
            mine, theirs = await page(client, "/cart"), await page(other, "/cart")
            assert "普洱茶" in mine and "土蜂蜜" not in mine
            assert "土蜂蜜" in theirs and "普洱茶" not in theirs
        await post(other, "/cart/items", {"sku_id": tea["skus"][0]["id"], "quantity": 1})
        assert "普洱茶" in await page(other, "/cart")


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


async def test_no_page_kept_for_everyone_depends_on_who_is_signed_in(app):
    """Sweep: a page whose one rendering is shown to every visitor may not look up the
    visitor (the cache refuses to keep it anyway, but it would be rendered for nothing)."""
    user_lookups = {optional_page_user, page_user, page_operator, current_user, current_operator}
    shared = [
        route
        for route in all_routes(app.routes)
        if isinstance(route, APIRoute)
        and getattr(route.endpoint, AUDIENCE_ATTRIBUTE, None) == Audience.EVERYONE
    ]
    assert {route.path for route in shared} >= {
        "/",
        "/s/{store_id}",
        "/p/{product_id}",
        "/api/v1/shop/products/{product_id}",
    }
    for route in shared:
        assert not user_lookups & set(_dependency_calls(route.dependant)), route.path


# The middleware on its own, over a page that counts its renderings.


class _Pages:
    def __init__(self, status: int = 200, cookie: bytes | None = None, user: object = None) -> None:
        self.renderings = 0
        self.status = status
        self.cookie = cookie
        self.user = user

    @cached_response()
    async def endpoint(self) -> None:
        """The endpoint the routing would have put in the scope."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.renderings += 1
        scope["endpoint"] = self.endpoint
        if self.user is not None:
            scope.setdefault("state", {})["page_user"] = self.user
        await asyncio.sleep(0.01)
        headers = [(b"content-type", b"text/html; charset=utf-8")]
        if self.cookie:
            headers.append((b"set-cookie", self.cookie))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": f"page {self.renderings}".encode()})


def _cache(pages: _Pages, versions: TableVersions, seconds: float = 60) -> ResponseCache:
    return ResponseCache(
        pages, versions=versions, csrf_key=b"k" * 32, seconds=seconds, max_entries=10
    )


async def _get(cache: ResponseCache, path: str = "/p/1") -> httpx.Response:
    transport = httpx.ASGITransport(app=cache)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get(path)


@pytest.fixture
def versions(tmp_path) -> Iterator[TableVersions]:
    shared = TableVersions(tmp_path / "versions")
    yield shared
    shared.close()


async def test_a_page_is_kept_no_longer_than_the_setting(versions):
    pages = _Pages()
    kept = _cache(pages, versions, seconds=60)
    assert [(await _get(kept)).text for _ in range(3)] == ["page 1"] * 3
    brief = _cache(pages, versions, seconds=0.05)
    await _get(brief)
    await asyncio.sleep(0.1)
    assert (await _get(brief)).text == "page 3"


@pytest.mark.parametrize(
    "pages",
    [_Pages(status=404), _Pages(cookie=b"weshop_session=abc; Path=/"), _Pages(user=object())],
    ids=["not a 200", "sets a cookie", "a page for everyone that looked up the user"],
)
async def test_answers_that_may_not_be_kept_are_not(pages: _Pages, versions):
    cache = _cache(pages, versions)
    await _get(cache)
    await _get(cache)
    assert pages.renderings == 2


async def test_requests_for_a_changed_page_wait_for_one_rendering(versions):
    pages = _Pages()
    cache = _cache(pages, versions)
    await _get(cache)
    versions.advance({"*"})
    answers = await asyncio.gather(*(_get(cache) for _ in range(20)))
    assert {answer.text for answer in answers} == {"page 2"}
    assert pages.renderings == 2
