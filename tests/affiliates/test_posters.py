"""Posters: drawn server-side with the product's photo, price and the promoter's code, a QR
code that reads back to the link with the channel poster, kept as a file once drawn."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path

import pytest
import segno
from PIL import Image

from tests.affiliates.conftest import Pool
from tests.affiliates.selling import share_code
from tests.support import expect
from weshop.affiliates import posters


def poster_path(code: str) -> str:
    return f"/api/v1/me/share-links/{code}/poster.png"


def photo_png(color: tuple[int, int, int]) -> bytes:
    out = BytesIO()
    Image.new("RGB", (400, 300), color).save(out, format="PNG")
    return out.getvalue()


def qr_matches(poster: Image.Image, url: str) -> bool:
    """Whether the poster's QR region holds exactly the QR code of ``url``: the region is
    sampled at the centre of each module and compared with segno's matrix."""
    region = poster.crop(posters.QR_BOX).convert("L")
    bounds = region.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert bounds is not None, "no QR code drawn"
    left, top, right, _ = bounds
    expected = segno.make(url, error="m", micro=False)
    modules = expected.symbol_size(scale=1, border=0)[0]
    size = (right - left) / modules
    read = [
        [
            region.getpixel((int(left + (x + 0.5) * size), int(top + (y + 0.5) * size))) < 128
            for x in range(modules)
        ]
        for y in range(modules)
    ]
    return read == [[bool(cell) for cell in row] for row in expected.matrix]


async def _upload(pool: Pool, color: tuple[int, int, int]) -> dict:
    return expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{pool.store_id}/media",
            files={"file": ("photo.png", photo_png(color), "image/png")},
            headers=pool.owner,
        ),
        201,
    )


async def _with_photo(pool: Pool, color: tuple[int, int, int]) -> None:
    asset = await _upload(pool, color)
    expect(
        await pool.client.patch(
            f"/api/v1/merchant/stores/{pool.store_id}/products/{pool.product['id']}",
            json={"image_ids": [asset["id"]]},
            headers=pool.owner,
        ),
        200,
    )


@pytest.fixture
def no_miniprogram(runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation without a mini-program: a poster carries its link's QR code (with
    one, the link's mini-program code: tests/wechat/share/test_codes.py)."""
    monkeypatch.setattr(
        runtime,
        "settings",
        runtime.settings.model_copy(
            update={"wechat_miniprogram_appid": "", "wechat_store_apps": []}
        ),
    )


@pytest.mark.usefixtures("no_miniprogram")
async def test_a_poster_shows_the_photo_and_a_qr_code_of_the_link_with_channel_poster(
    pool: Pool,
):
    await pool.pooled()
    await _with_photo(pool, (200, 30, 30))
    promoter, record = await pool.promoter()
    code = await share_code(pool, record, product_id=pool.product["id"])

    answer = await pool.client.get(poster_path(code), headers=promoter)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    poster = Image.open(BytesIO(answer.content)).convert("RGB")
    assert poster.size == (posters.WIDTH, posters.HEIGHT)
    # The product's photo fills the top.
    assert poster.getpixel((posters.WIDTH // 2, posters.WIDTH // 2)) == (200, 30, 30)
    base = pool.api.runtime.settings.public_base_url.rstrip("/")
    assert qr_matches(poster, f"{base}/r/{code}?ch=poster")
    assert not qr_matches(poster, f"{base}/r/{code}")


@pytest.mark.usefixtures("no_miniprogram")
async def test_a_store_poster_draws_the_stores_logo_and_its_qr_code(pool: Pool):
    logo = await _upload(pool, (20, 120, 200))
    expect(
        await pool.client.patch(
            f"/api/v1/merchant/stores/{pool.store_id}",
            json={"logo_url": logo["url"]},
            headers=pool.owner,
        ),
        200,
    )
    promoter, record = await pool.promoter()
    code = await share_code(pool, record, store_id=pool.store_id)
    answer = await pool.client.get(poster_path(code), headers=promoter)
    poster = Image.open(BytesIO(expect_png(answer))).convert("RGB")
    assert poster.getpixel((posters.WIDTH // 2, posters.WIDTH // 2)) == (20, 120, 200)
    base = pool.api.runtime.settings.public_base_url.rstrip("/")
    assert qr_matches(poster, f"{base}/r/{code}?ch=poster")


def expect_png(answer) -> bytes:
    assert answer.status_code == 200, answer.text
    return answer.content


async def test_a_poster_is_drawn_once_then_read_and_drawn_again_when_the_product_changes(
    pool: Pool,
):
    await pool.pooled()
    promoter, record = await pool.promoter()
    code = await share_code(pool, record, product_id=pool.product["id"])
    first = expect_png(await pool.client.get(poster_path(code), headers=promoter))
    folder = pool.api.runtime.settings.media_dir / "posters"
    [kept] = list(folder.glob(f"{code}-*.png"))
    assert kept.read_bytes() == first
    # A repeat is the file: what is in it is what is answered.
    marker = photo_png((1, 2, 3))
    kept.write_bytes(marker)
    assert expect_png(await pool.client.get(poster_path(code), headers=promoter)) == marker

    expect(
        await pool.client.patch(
            f"/api/v1/merchant/stores/{pool.store_id}/products/{pool.product['id']}",
            json={"title": "明前龙井"},
            headers=pool.owner,
        ),
        200,
    )
    redrawn = expect_png(await pool.client.get(poster_path(code), headers=promoter))
    assert redrawn not in (first, marker)
    assert len(list(folder.glob(f"{code}-*.png"))) == 2


async def test_concurrent_first_requests_all_get_the_whole_poster(pool: Pool):
    await pool.pooled()
    promoter, record = await pool.promoter()
    code = await share_code(pool, record, product_id=pool.product["id"])
    answers = await asyncio.gather(
        *(pool.client.get(poster_path(code), headers=promoter) for _ in range(6))
    )
    bodies = {expect_png(answer) for answer in answers}
    assert len(bodies) == 1
    [kept] = list((pool.api.runtime.settings.media_dir / "posters").glob(f"{code}-*.png"))
    assert kept.read_bytes() == bodies.pop()


async def test_only_the_links_promoter_gets_its_poster(pool: Pool):
    await pool.pooled()
    owner_promoter, record = await pool.promoter()
    other, _ = await pool.promoter()
    code = await share_code(pool, record, product_id=pool.product["id"])
    for headers in (other, owner_promoter):
        path = poster_path(code if headers is other else "NOSUCHCODE")
        answer = await pool.client.get(path, headers=headers)
        assert answer.status_code == 404, answer.text
    shopper = await pool.api.sign_in()
    answer = await pool.client.get(poster_path(code), headers=shopper)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_a_promoter"


def test_without_the_cjk_font_a_poster_is_still_drawn(tmp_path: Path):
    drawn = posters.PosterContent(
        url="https://shop.example/r/ABCDEFGHJK?ch=poster",
        title="高山乌龙茶 250g",
        price="¥19.99",
        promoter_code="ABCD2345",
        hint="长按识别二维码",
        byline="推客 ABCD2345 为你推荐",
        photo=None,
    )
    png = posters.render(drawn, tmp_path, tmp_path / "no-such-font.ttc")
    poster = Image.open(BytesIO(png))
    assert poster.size == (posters.WIDTH, posters.HEIGHT)
    assert qr_matches(poster.convert("RGB"), drawn.url)
