"""Mini-program codes: real PNGs of the asked width, WeChat's errors for a bad scene or page,
and the calls counted."""

from __future__ import annotations

import io

from PIL import Image

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, errcode, token_of
from weshop.wxsim.simulator import WxSim


async def code(client, token: str, body: dict):
    return await client.post("/wxa/getwxacodeunlimit", params={"access_token": token}, json=body)


async def test_a_code_is_a_png_of_the_page_and_scene(client, sim: WxSim) -> None:
    token = await token_of(client, sim, MINIPROGRAM)
    answer = await code(
        client, token, {"scene": "p=42&s=7", "page": "pages/product/index", "width": 280}
    )
    assert answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "PNG" and image.size == (280, 280)

    other = await code(
        client, token, {"scene": "p=43&s=7", "page": "pages/product/index", "width": 280}
    )
    assert other.content != answer.content
    default = Image.open(io.BytesIO((await code(client, token, {"scene": "a"})).content))
    assert default.size == (430, 430)
    wide = Image.open(
        io.BytesIO((await code(client, token, {"scene": "a", "width": 5000})).content)
    )
    assert wide.size == (1280, 1280)
    clear = await code(
        client, token, {"scene": "a", "is_hyaline": True, "line_color": {"r": 7, "g": 193, "b": 96}}
    )
    picture = Image.open(io.BytesIO(clear.content))
    assert picture.mode == "RGBA" and picture.getpixel((0, 0))[3] == 0
    assert (7, 193, 96, 255) in {color for _, color in picture.getcolors(1_000_000)}
    unchecked = await code(
        client,
        token,
        {"scene": "a", "page": "pages/new/index", "check_path": False, "env_version": "develop"},
    )
    assert unchecked.headers["content-type"] == "image/png"
    assert sim.stats()["wxacode_calls"][MINIPROGRAM] == 6


async def test_bad_scenes_pages_and_apps_are_refused(client, sim: WxSim) -> None:
    token = await token_of(client, sim, MINIPROGRAM)
    for scene in ["", "x" * 33, "商品=1", "a b", "100%", None]:
        refused = await code(client, token, {"scene": scene})
        assert errcode(refused) == 40129, scene
        assert refused.headers["content-type"].startswith("application/json")
    assert (
        errcode(await code(client, token, {"scene": "x" * 32, "page": "pages/missing/index"}))
        == 41030
    )
    assert errcode(await code(client, token, {"scene": "a", "page": "/pages/index/index"})) == 41030
    assert (
        errcode(await code(client, token, {"scene": "a", "page": "pages/index/index?id=1"}))
        == 41030
    )
    assert errcode(await code(client, token, {"scene": "a", "env_version": "beta"})) == 40097
    assert errcode(await code(client, token, {"scene": "a", "width": "wide"})) == 40097
    official = await token_of(client, sim, OFFICIAL)
    assert errcode(await code(client, official, {"scene": "a"})) == 48001
    assert errcode(await code(client, "forged", {"scene": "a"})) == 40001
