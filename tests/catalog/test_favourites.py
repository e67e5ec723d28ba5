"""收藏: the heart on a product page, 我的收藏, and the API; a favourite is the shopper's own."""

from __future__ import annotations

from tests.storefront import page, post, shopper
from tests.support import expect


async def test_a_shopper_keeps_a_product_sees_it_under_me_and_lets_it_go(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, title="高山云雾绿茶", price_fen=3900)
    _, headers = await shopper(api, client)
    kept = await post(client, "/me/favourites", {"product_id": product["id"]})
    assert kept.headers["location"] == f"/p/{product['id']}?favourited=1"
    assert "已收藏" in await page(client, kept.headers["location"])
    again = expect(
        await client.post(
            "/api/v1/me/favourites", json={"product_id": product["id"]}, headers=headers
        ),
        200,
    )
    listing = expect(await client.get("/api/v1/me/favourites", headers=headers), 200)
    assert [item["id"] for item in listing["items"]] == [again["id"]]
    assert listing["items"][0] | {"created_at": None} == {
        "id": again["id"],
        "product_id": product["id"],
        "title": "高山云雾绿茶",
        "price_from_fen": 3900,
        "image_url": None,
        "on_sale": True,
        "created_at": None,
    }
    state = expect(await client.get(f"/me/favourites/of/{product['id']}"), 200)
    assert state == {"signed_in": True, "favourite_id": again["id"]}
    mine = await page(client, "/me/favourites")
    assert "我的收藏" in mine and "高山云雾绿茶" in mine and "¥39.00" in mine
    assert 'href="/me/favourites"' in await page(client, "/me")
    await post(client, f"/me/favourites/{again['id']}/remove")
    assert "点亮商品页的爱心" in await page(client, "/me/favourites")
    assert (
        expect(await client.get(f"/me/favourites/of/{product['id']}"), 200)["favourite_id"] is None
    )


async def test_a_product_taken_off_the_shop_stays_listed_as_off_the_shelf(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, title="限量茶饼")
    _, headers = await shopper(api, client)
    expect(
        await client.post(
            "/api/v1/me/favourites", json={"product_id": product["id"]}, headers=headers
        ),
        200,
    )
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/products/{product['id']}/unpublish",
            headers=owner,
        ),
        200,
    )
    listing = expect(await client.get("/api/v1/me/favourites", headers=headers), 200)
    assert listing["items"][0]["on_sale"] is False
    mine = await page(client, "/me/favourites")
    assert "限量茶饼" in mine and "已下架" in mine and f'href="/p/{product["id"]}"' not in mine
    # Nothing new can be kept once it is off the shop.
    refused = await client.post(
        "/api/v1/me/favourites", json={"product_id": product["id"]}, headers=headers
    )
    assert refused.status_code == 404


async def test_another_shoppers_favourite_is_a_404_and_stays(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    owner_of_it = await api.sign_in()
    theirs = expect(
        await client.post(
            "/api/v1/me/favourites", json={"product_id": product["id"]}, headers=owner_of_it
        ),
        200,
    )
    _, headers = await shopper(api, client)
    gone = await client.delete(f"/api/v1/me/favourites/{theirs['id']}", headers=headers)
    assert gone.status_code == 404
    await post(client, f"/me/favourites/{theirs['id']}/remove", status=404)
    assert expect(await client.get("/api/v1/me/favourites", headers=headers), 200)["items"] == []
    still = expect(await client.get("/api/v1/me/favourites", headers=owner_of_it), 200)
    assert [item["id"] for item in still["items"]] == [theirs["id"]]


async def test_a_guest_is_sent_to_sign_in_and_the_heart_knows_it(api, client) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    state = expect(await client.get(f"/me/favourites/of/{product['id']}"), 200)
    assert state == {"signed_in": False, "favourite_id": None}
    sent = await post(client, "/me/favourites", {"product_id": product["id"]})
    assert sent.headers["location"].startswith("/signin")
