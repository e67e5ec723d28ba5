"""The platform console's stores: operators sign in with a password, open a store with its
owner, suspend and resume it; anyone else is refused."""

from __future__ import annotations

import httpx

from tests.storefront import HTML, page, post
from tests.support import expect, new_phone
from weshop.accounts import service as accounts

PASSWORD = "operator-password"


async def operator_signs_in(api, client: httpx.AsyncClient) -> str:
    phone = new_phone()
    async with api.runtime.db.transaction() as session:
        await accounts.create_operator(session, phone, PASSWORD, "运营")
    signed = await post(client, "/platform/signin", {"phone": phone, "password": PASSWORD})
    assert signed.headers["location"] == "/platform"
    return phone


async def test_signed_out_visitors_go_to_the_sign_in_page_and_others_are_refused(api, client):
    answer = await client.get("/platform/stores/new", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/platform/signin?next=/platform/stores/new"

    shopper = new_phone()
    await api.sign_in(shopper)
    refused = await post(
        client, "/platform/signin", {"phone": shopper, "password": "whatever"}, status=401
    )
    assert "手机号或密码错误" in refused.text
    await page(client, "/platform/signin")


async def test_staff_who_are_not_operators_get_no_platform_session(api, client):
    _store, owner = await api.create_store(await api.operator())
    me = expect(await client.get("/api/v1/me", headers=owner), 200)
    assert not me["is_operator"]
    async with api.runtime.db.transaction() as session:
        user = await accounts.get_or_create_user(session, "13011112222")
        await accounts.set_password(session, user, "merchant-pass-1")
    refused = await post(
        client, "/platform/signin", {"phone": "13011112222", "password": "merchant-pass-1"},
        status=403,
    )  # fmt: skip
    assert "不是平台运营" in refused.text
    assert (await client.get("/platform", headers=HTML)).status_code == 303


async def test_an_operator_opens_a_store_then_suspends_and_resumes_it(api, client):
    await operator_signs_in(api, client)
    invalid = await post(
        client, "/platform/stores/new", {"name": "", "owner_phone": "123"}, status=422
    )
    assert invalid.text.count('class="field-error"') >= 2
    assert (await client.get("/api/v1/shop/products")).status_code == 200

    owner_phone = new_phone()
    opened = await post(
        client, "/platform/stores/new", {"name": "山野农场", "owner_phone": owner_phone}
    )
    store_path = opened.headers["location"].split("?")[0]
    store_id = int(store_path.rsplit("/", 1)[1])
    shown = await page(client, store_path)
    assert "山野农场" in shown and owner_phone[:3] + "****" + owner_phone[-4:] in shown
    assert "山野农场" in await page(client, "/platform")

    owner = await api.sign_in(owner_phone)
    mine = expect(await client.get("/api/v1/merchant/stores", headers=owner), 200)
    assert [(mine_["store"]["id"], mine_["role"]) for mine_ in mine] == [(store_id, "owner")]
    product = await api.create_product(store_id, owner)

    await post(client, f"/platform/stores/{store_id}/suspend")
    assert "已暂停" in await page(client, "/platform", status="suspended")
    assert "山野农场" not in await page(client, "/platform", status="active")
    store = expect(await client.get(f"/api/v1/shop/stores/{store_id}"), 200)
    assert store["status"] == "suspended"
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    sku = product["skus"][0]["id"]
    refused = await api.place_order(shopper, address["id"], [(sku, 1)])
    assert refused.status_code == 409

    again = await post(client, f"/platform/stores/{store_id}/suspend", status=409)
    assert "illegal_transition" in again.text
    await post(client, f"/platform/stores/{store_id}/resume")
    assert (await api.place_order(shopper, address["id"], [(sku, 1)])).status_code == 201
