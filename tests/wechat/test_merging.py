"""A shopper who bought by phone, then in WeChat, ends up with one account once the WeChat
account proves the phone: the phone's account keeps its id and takes the rest."""

from __future__ import annotations

from tests.support import expect
from tests.wechat.support import MINIPROGRAM, bearer, mini_program_sign_in
from weshop.accounts.models import User
from weshop.wechat.merging import user_references

LINA_PHONE = "13900139001"
ITEMS = "/api/v1/me/cart/items"


async def _shop(api, client):
    store_id, owner = await api.new_store()
    shirt = await api.create_product(
        store_id, owner, title="衬衫", specs=[{"name": "尺码", "values": ["M", "L"]}]
    )
    return [sku["id"] for sku in shirt["skus"]]


async def _cart(client, shopper) -> dict[int, int]:
    view = expect(await client.get("/api/v1/me/cart", headers=shopper), 200)
    return {line["sku_id"]: line["quantity"] for g in view["groups"] for line in g["items"]}


async def _orders(client, shopper) -> set[int]:
    answer = expect(await client.get("/api/v1/me/orders", headers=shopper), 200)
    return {order["id"] for order in answer["items"]}


async def test_the_phone_account_takes_the_wechat_account_over(api, client, wxsim, runtime):
    m_size, l_size = await _shop(api, client)
    by_phone = await api.sign_in(LINA_PHONE)
    phone_user = expect(await client.get("/api/v1/me", headers=by_phone), 200)
    phone_address = (await api.add_address(by_phone))["id"]
    phone_order = expect(await api.place_order(by_phone, phone_address, [(m_size, 1)]), 201)
    expect(await client.post(ITEMS, json={"sku_id": m_size, "quantity": 2}, headers=by_phone), 201)

    in_wechat = await mini_program_sign_in(client, wxsim, "lina")
    wechat = bearer(in_wechat)
    wechat_address = (await api.add_address(wechat))["id"]
    wechat_order = expect(await api.place_order(wechat, wechat_address, [(l_size, 1)]), 201)
    # The same SKU in both carts, and one only the WeChat account has.
    expect(await client.post(ITEMS, json={"sku_id": m_size, "quantity": 5}, headers=wechat), 201)
    expect(await client.post(ITEMS, json={"sku_id": l_size, "quantity": 3}, headers=wechat), 201)

    code = wxsim.phone_code(MINIPROGRAM, "lina")
    bound = expect(
        await client.post("/api/v1/me/wechat/phone", json={"code": code}, headers=wechat), 200
    )
    assert bound["merged"] is True
    assert bound["user"]["id"] == phone_user["id"]

    # The WeChat session goes on, as the phone's account, with both accounts' orders.
    assert expect(await client.get("/api/v1/me", headers=wechat), 200)["id"] == phone_user["id"]
    both = {phone_order["orders"][0]["id"], wechat_order["orders"][0]["id"]}
    assert await _orders(client, wechat) == both == await _orders(client, by_phone)
    addresses = expect(await client.get("/api/v1/me/addresses", headers=by_phone), 200)
    assert {a["id"] for a in addresses} == {phone_address, wechat_address}
    # The phone account's cart line wins for the SKU both had; the other line moved over.
    assert await _cart(client, by_phone) == {m_size: 2, l_size: 3}

    # The next sign-in in WeChat is the phone's account; the WeChat account is closed and
    # says where it went.
    again = await mini_program_sign_in(client, wxsim, "lina")
    assert again["user"]["id"] == phone_user["id"] and again["phone_bound"] is True
    async with runtime.db.session(write=False) as session:
        gone = await session.get(User, in_wechat["user"]["id"])
    assert gone.is_active is False and gone.merged_into_id == phone_user["id"]


async def test_every_reference_to_users_is_covered_by_the_merge():
    """Found through the foreign keys: a table added later is moved without a change."""
    covered = {f"{r.table.name}.{r.column.name}" for r in user_references()}
    assert {"orders.user_id", "cart_items.user_id", "auth_sessions.user_id"} <= covered
    assert {"wechat_identities.user_id", "wechat_accounts.user_id"} <= covered
    assert "users.merged_into_id" not in covered


async def test_an_sms_code_binds_the_phone_in_a_page_signed_in_account(api, client, wxsim):
    in_wechat = await mini_program_sign_in(client, wxsim, "zhangmin")
    wechat = bearer(in_wechat)
    phone = "13900139999"
    sent = expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
    wrong = await client.post(
        "/api/v1/me/phone", json={"phone": phone, "code": "000000"}, headers=wechat
    )
    if sent["demo_code"] != "000000":
        assert expect(wrong, 401)["error"]["code"] == "invalid_code"
    bound = expect(
        await client.post(
            "/api/v1/me/phone", json={"phone": phone, "code": sent["demo_code"]}, headers=wechat
        ),
        200,
    )
    assert bound["merged"] is False and bound["user"]["phone"] == "139****9999"
    # The phone now signs in to the same account.
    assert (
        expect(await client.get("/api/v1/me", headers=await api.sign_in(phone)), 200)["id"]
        == in_wechat["user"]["id"]
    )
