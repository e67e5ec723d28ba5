"""Mini-program codes: fetched from WeChat (wxsim) once per distinct code, also under
concurrent requests, kept as images; downloaded by a store's staff (API and console, another
store's product a 404); scenes read back; promoters' posters carry their link's code."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops

from tests.affiliates.conftest import open_pool
from tests.affiliates.test_posters import qr_matches
from tests.analytics.support import page, use_session
from tests.support import Api, expect, served
from weshop.affiliates import posters
from weshop.wxsim.simulator import WxSim

PNG = b"\x89PNG\r\n\x1a\n"


def code_calls(sim: WxSim) -> int:
    """getwxacodeunlimit calls of every mini-program (store 1 has its own)."""
    return sum(sim.codes.calls.values())


def product_code(store_id: int, product_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/products/{product_id}/miniprogram-code"


async def test_store_and_product_codes_download(api: Api, wxsim: WxSim):
    pool = await open_pool(api)
    client = api.client
    store = await client.get(
        f"/api/v1/merchant/stores/{pool.store_id}/miniprogram-code", headers=pool.owner
    )
    assert store.status_code == 200, store.text
    assert store.headers["content-type"] == "image/png" and store.content.startswith(PNG)
    assert store.headers["content-disposition"] == (
        f'attachment; filename="store-{pool.store_id}.png"'
    )
    product = await client.get(product_code(pool.store_id, pool.product["id"]), headers=pool.owner)
    assert product.status_code == 200 and product.content.startswith(PNG)
    assert product.content != store.content
    wide = await client.get(
        product_code(pool.store_id, pool.product["id"]),
        params={"width": 1280},
        headers=pool.owner,
    )
    assert Image.open(BytesIO(wide.content)).width > Image.open(BytesIO(product.content)).width
    too_wide = await client.get(
        product_code(pool.store_id, pool.product["id"]), params={"width": 5000}, headers=pool.owner
    )
    assert too_wide.status_code == 422


async def test_a_code_is_fetched_once_for_repeated_and_concurrent_requests(
    app, api: Api, wxsim: WxSim
):
    pool = await open_pool(api)
    path = product_code(pool.store_id, pool.product["id"])
    before = code_calls(wxsim)
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        answers = await asyncio.gather(*(http.get(path, headers=pool.owner) for _ in range(20)))
        again = [await http.get(path, headers=pool.owner) for _ in range(3)]
    assert {answer.status_code for answer in [*answers, *again]} == {200}
    assert len({answer.content for answer in [*answers, *again]}) == 1
    assert code_calls(wxsim) - before == 1


async def test_another_stores_product_has_no_code(api: Api, wxsim: WxSim):
    pool = await open_pool(api)
    other_store, other_owner = await api.new_store("别家小店")
    other = await api.create_product(other_store, other_owner, title="别家的茶")
    before = code_calls(wxsim)
    answer = await api.client.get(product_code(pool.store_id, other["id"]), headers=pool.owner)
    assert expect(answer, 404)["error"]["code"] == "not_found"
    foreign = await api.client.get(product_code(other_store, other["id"]), headers=pool.owner)
    assert foreign.status_code in (403, 404)
    assert code_calls(wxsim) == before


@pytest.mark.usefixtures("unconfigured")
async def test_without_a_miniprogram_there_is_no_code(api: Api, client):
    pool = await open_pool(api)
    answer = await client.get(product_code(pool.store_id, pool.product["id"]), headers=pool.owner)
    assert expect(answer, 404)["error"]["code"] == "wechat_not_configured"


async def test_console_shows_and_downloads_codes(api: Api, client):
    pool = await open_pool(api)
    use_session(client, pool.owner)
    base = f"/console/stores/{pool.store_id}/miniprogram-codes"
    listing = await page(client, base)
    assert listing.status_code == 200
    assert "小程序码" in listing.text and "高山乌龙茶" in listing.text
    assert f"{base}/products/{pool.product['id']}?download=1" in listing.text
    download = await client.get(f"{base}/products/{pool.product['id']}?download=1")
    assert download.status_code == 200 and download.content.startswith(PNG)
    assert download.headers["content-disposition"].startswith("attachment;")
    shown = await client.get(f"{base}/store")
    assert shown.status_code == 200 and shown.headers["content-disposition"].startswith("inline;")
    other_store, other_owner = await api.new_store("别家小店")
    other = await api.create_product(other_store, other_owner, title="别家的茶")
    assert (await client.get(f"{base}/products/{other['id']}")).status_code == 404


async def test_scenes_read_back(api: Api):
    pool = await open_pool(api)
    await pool.pooled()
    promoter_headers, _ = await pool.promoter()
    link = expect(
        await api.client.post(
            "/api/v1/me/share-links",
            json={"product_id": pool.product["id"]},
            headers=promoter_headers,
        ),
        200,
    )
    scene = f"p{pool.product['id']}.{link['code']}"
    assert len(scene) <= 32
    found = expect(await api.client.get(f"/api/v1/wechat/scenes/{scene}"), 200)
    assert found == {
        "kind": "product",
        "id": pool.product["id"],
        "page": "pages/product/index",
        "h5_path": f"/p/{pool.product['id']}",
        "link_code": link["code"],
    }
    plain = expect(await api.client.get(f"/api/v1/wechat/scenes/s{pool.store_id}"), 200)
    assert plain["kind"] == "store" and plain["link_code"] is None
    elsewhere = await api.client.get(f"/api/v1/wechat/scenes/s{pool.store_id}.{link['code']}")
    assert elsewhere.status_code == 404
    for bad in ("x1", "p0", "p1.", "p1.abc", "p" + "9" * 19):
        answer = await api.client.get(f"/api/v1/wechat/scenes/{bad}")
        assert expect(answer, 422)["error"]["code"] == "invalid_input"


async def test_a_promoters_poster_carries_the_links_miniprogram_code(api: Api, app, wxsim: WxSim):
    pool = await open_pool(api)
    await pool.pooled()
    promoter_headers, _ = await pool.promoter()
    link = expect(
        await api.client.post(
            "/api/v1/me/share-links",
            json={"product_id": pool.product["id"]},
            headers=promoter_headers,
        ),
        200,
    )
    before = code_calls(wxsim)
    answer = await api.client.get(
        f"/api/v1/me/share-links/{link['code']}/poster.png", headers=promoter_headers
    )
    assert answer.status_code == 200, answer.text
    assert code_calls(wxsim) - before == 1
    poster = Image.open(BytesIO(answer.content)).convert("RGB")
    assert not qr_matches(poster, link["poster_url"])
    codes = app.state.runtime.settings.media_dir / "wxacodes"
    assert any(_is_code_of(path, poster) for path in codes.glob("*/*.png"))


def _is_code_of(path: Path, poster: Image.Image) -> bool:
    """Whether the poster's code box shows exactly this code image."""
    with Image.open(path) as opened:
        code = opened.convert("RGB").resize(
            (posters.QR_SIZE, posters.QR_SIZE), Image.Resampling.LANCZOS
        )
    region = poster.crop(posters.QR_BOX)
    return ImageChops.difference(region, code).getbbox() is None
