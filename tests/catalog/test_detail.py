"""A product's 图文 detail: blocks of text, images and one video, edited in the console on a
page of their own and through the API, shown on the product page below the specs."""

from __future__ import annotations

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.catalog.test_web import tshirt
from tests.storefront import page as shop_page
from tests.support import expect

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
# The smallest MP4 the sniffer takes: an ftyp box of MP4 brands and an (empty) mdat box.
SAVED = "修改已保存。"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08mdat"


async def upload(client, store_id: int, owner, path: str, name: str, data: bytes, kind: str):
    return await client.post(
        f"/api/v1/merchant/stores/{store_id}/{path}",
        files={"file": (name, data, kind)},
        headers=owner,
    )


async def test_the_detail_is_set_through_the_api_and_shown_below_the_specs(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await tshirt(api, store_id, owner)
    image = expect(await upload(client, store_id, owner, "media", "a.png", PNG, "image/png"), 201)
    video = expect(
        await upload(client, store_id, owner, "media/videos", "v.mp4", MP4, "video/mp4"), 201
    )
    assert video["content_type"] == "video/mp4" and video["url"].endswith(".mp4")
    base = f"/api/v1/merchant/stores/{store_id}/products/{product['id']}/detail"
    blocks = [
        {"kind": "text", "text": "精梳棉<b>柔软</b>亲肤"},
        {"kind": "image", "media_id": image["id"]},
        {"kind": "video", "media_id": video["id"]},
    ]
    saved = expect(await client.put(base, json={"blocks": blocks}, headers=owner), 200)
    assert [block["kind"] for block in saved["blocks"]] == ["text", "image", "video"]
    assert saved["blocks"][2]["url"] == video["url"]
    assert expect(await client.get(base, headers=owner), 200) == saved

    text = await shop_page(client, f"/p/{product['id']}")
    detail = text[text.index('id="h-detail"') :]
    assert text.index('id="buy"') < text.index('id="h-detail"')  # below the specs
    assert "精梳棉&lt;b&gt;柔软&lt;/b&gt;亲肤" in detail  # escaped, never markup
    assert detail.index(image["url"]) < detail.index(
        f'<video class="detail-video" src="{video["url"]}"'
    )
    shop = expect(await client.get(f"/api/v1/shop/products/{product['id']}"), 200)
    assert [block["kind"] for block in shop["detail"]] == ["text", "image", "video"]


async def test_the_api_refuses_foreign_media_the_wrong_kind_and_a_second_video(api, client):
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家小店")
    product = await tshirt(api, store_id, owner)
    base = f"/api/v1/merchant/stores/{store_id}/products/{product['id']}/detail"
    foreign = expect(
        await upload(client, other_id, other_owner, "media", "a.png", PNG, "image/png"), 201
    )
    image = expect(await upload(client, store_id, owner, "media", "a.png", PNG, "image/png"), 201)
    video = expect(
        await upload(client, store_id, owner, "media/videos", "v.mp4", MP4, "video/mp4"), 201
    )
    cases = [
        ([{"kind": "image", "media_id": foreign["id"]}], 404, "not_found"),
        ([{"kind": "video", "media_id": image["id"]}], 409, "wrong_media_kind"),
        ([{"kind": "image", "media_id": video["id"]}], 409, "wrong_media_kind"),
        ([{"kind": "video", "media_id": video["id"]}] * 2, 409, "one_video_only"),
        ([{"kind": "text", "media_id": image["id"]}], 422, None),
        ([{"kind": "text", "text": "x" * 2001}], 422, None),
    ]
    for blocks, status, code in cases:
        answer = await client.put(base, json={"blocks": blocks}, headers=owner)
        assert answer.status_code == status, (blocks, answer.text)
        if code:
            assert answer.json()["error"]["code"] == code
    assert expect(await client.get(base, headers=owner), 200) == {"blocks": []}
    # A file named .mp4 is a video only if its bytes say so.
    fake = await upload(client, store_id, owner, "media/videos", "v.mp4", PNG, "video/mp4")
    assert fake.status_code == 422 and fake.json()["error"]["code"] == "unsupported_video"
    quicktime = MP4.replace(b"isomiso2", b"qt  qt  ").replace(b"ftypisom", b"ftypqt  ")
    refused = await upload(client, store_id, owner, "media/videos", "v.mp4", quicktime, "video/mp4")
    assert refused.status_code == 422


async def test_staff_build_the_detail_block_by_block_in_the_console(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await tshirt(api, store_id, owner)
    use_session(client, owner)
    base = f"/console/stores/{store_id}/products/{product['id']}/detail"
    assert f'href="{base}"' in (await page(client, base.removesuffix("/detail"))).text
    assert "还没有内容" in (await page(client, base)).text
    redirected_to(await submit(client, base, {"op": "text", "text": "第一段"}))
    redirected_to(
        await submit(client, base, {"op": "image"}, files={"file": ("a.png", PNG, "image/png")})
    )
    redirected_to(
        await submit(client, base, {"op": "video"}, files={"file": ("v.mp4", MP4, "video/mp4")})
    )
    second = await submit(
        client, base, {"op": "video"}, files={"file": ("v.mp4", MP4 + b"\x00" * 8, "video/mp4")}
    )
    assert second.status_code == 409 and 'id="e-video"' in second.text
    empty = await submit(client, base, {"op": "text", "text": " "})
    assert empty.status_code == 422 and 'id="e-text"' in empty.text
    redirected_to(await submit(client, base, {"op": "up", "index": "1"}))  # image first
    redirected_to(await submit(client, base, {"op": "remove", "index": "2"}))  # the video
    shown = (await page(client, base)).text
    assert shown.index("<img") < shown.index("第一段") and "<video" not in shown
    detail = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products/{product['id']}/detail",
                         headers=owner), 200)  # fmt: skip
    assert [block["kind"] for block in detail["blocks"]] == ["image", "text"]
    assert SAVED in (await page(client, base, done="saved")).text
