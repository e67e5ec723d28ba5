from __future__ import annotations

from tests.orders.conftest import open_shop
from tests.support import expect, new_phone


async def test_only_operators_open_stores(api, client):
    shopper = await api.sign_in()
    answer = await client.post(
        "/api/v1/platform/stores",
        json={"name": "无权开店", "owner_phone": new_phone()},
        headers=shopper,
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    assert (
        await client.post("/api/v1/platform/stores", json={"name": "x", "owner_phone": new_phone()})
    ).status_code == 401


async def test_an_owner_sees_their_store_with_rights(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator, "山野农场")
    mine = expect(await client.get("/api/v1/merchant/stores", headers=owner), 200)
    assert [m["store"]["name"] for m in mine] == ["山野农场"]
    assert mine[0]["role"] == "owner"
    assert "staff.manage" in mine[0]["permissions"]
    settings = expect(
        await client.patch(
            f"/api/v1/merchant/stores/{store['id']}",
            json={"payment_window_minutes": 15, "auto_confirm_days": 7},
            headers=owner,
        ),
        200,
    )
    assert (settings["payment_window_minutes"], settings["auto_confirm_days"]) == (15, 7)
    bad = await client.patch(
        f"/api/v1/merchant/stores/{store['id']}", json={"payment_window_minutes": 0}, headers=owner
    )
    assert bad.status_code == 422
    assert settings["auto_confirm_after_delivery_days"] == 3
    for days in (0, 31, "3", 2.5):
        bad = await client.patch(
            f"/api/v1/merchant/stores/{store['id']}",
            json={"auto_confirm_after_delivery_days": days},
            headers=owner,
        )
        assert bad.status_code == 422, days


async def test_invited_staff_act_only_after_accepting(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    phone = new_phone()
    member = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store['id']}/staff",
            json={"phone": phone, "role": "operator"},
            headers=owner,
        ),
        201,
    )
    assert member["status"] == "invited" and member["phone"].count("*") == 4
    staff = await api.sign_in(phone)
    assert (
        await client.get(f"/api/v1/merchant/stores/{store['id']}", headers=staff)
    ).status_code == 404
    invitations = expect(await client.get("/api/v1/me/invitations", headers=staff), 200)
    assert [i["store"]["id"] for i in invitations] == [store["id"]]
    expect(await client.post(f"/api/v1/me/invitations/{member['id']}/accept", headers=staff), 200)
    expect(await client.get(f"/api/v1/merchant/stores/{store['id']}", headers=staff), 200)
    again = await client.post(
        f"/api/v1/merchant/stores/{store['id']}/staff",
        json={"phone": phone, "role": "finance"},
        headers=owner,
    )
    assert again.status_code == 409


async def test_each_role_does_only_its_part(api, client):
    shop = await open_shop(api)
    store_id = shop.store["id"]
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    payment = await api.start_payment(shop.shopper, order_id)
    await api.confirm_in_cashier(payment)
    roles = {
        role: await api.add_staff(store_id, shop.owner, role)
        for role in ("operator", "finance", "customer_service")
    }
    base = f"/api/v1/merchant/stores/{store_id}"
    new_product = {"title": "新品", "specs": [], "default_price_fen": 100, "default_stock": 1}
    invite = {"phone": new_phone(), "role": "finance"}

    def status(role, method, path, body=None):
        return client.request(method, base + path, json=body, headers=roles[role])

    assert (await status("finance", "POST", "/products", new_product)).status_code == 403
    assert (await status("customer_service", "POST", "/products", new_product)).status_code == 403
    assert (await status("operator", "POST", "/products", new_product)).status_code == 201
    assert (await status("operator", "POST", "/staff", invite)).status_code == 403
    assert (await status("finance", "GET", "/orders")).status_code == 200
    assert (await status("finance", "PATCH", "", {"name": "改名"})).status_code == 403
    ship = {"packages": [{"carrier": "顺丰", "tracking_no": "SF888888"}]}
    assert (
        await status("customer_service", "POST", f"/orders/{order_id}/shipments", ship)
    ).status_code == 403
    assert (
        await status("finance", "POST", f"/orders/{order_id}/shipments", ship)
    ).status_code == 403
    assert (await status("operator", "POST", f"/orders/{order_id}/cancel", {})).status_code == 403
    assert (
        await status("operator", "POST", f"/orders/{order_id}/shipments", ship)
    ).status_code == 200


async def test_the_owner_cannot_be_removed_and_removed_staff_lose_access(api, client):
    operator = await api.operator()
    store, owner = await api.create_store(operator)
    base = f"/api/v1/merchant/stores/{store['id']}/staff"
    finance = await api.add_staff(store["id"], owner, "finance")
    staff = expect(await client.get(base, headers=owner), 200)
    owner_member = next(m for m in staff if m["role"] == "owner")
    finance_member = next(m for m in staff if m["role"] == "finance")
    assert (await client.delete(f"{base}/{owner_member['id']}", headers=owner)).status_code == 409
    assert (
        await client.patch(f"{base}/{finance_member['id']}", json={"role": "owner"}, headers=owner)
    ).status_code == 409
    assert (await client.delete(f"{base}/{finance_member['id']}", headers=owner)).status_code == 204
    assert (
        await client.get(f"/api/v1/merchant/stores/{store['id']}", headers=finance)
    ).status_code == 404


async def test_suspend_and_resume_follow_the_table(api, client):
    operator = await api.operator()
    store, _ = await api.create_store(operator)
    path = f"/api/v1/platform/stores/{store['id']}"
    assert (
        expect(await client.post(f"{path}/suspend", headers=operator), 200)["status"] == "suspended"
    )
    again = await client.post(f"{path}/suspend", headers=operator)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    assert expect(await client.post(f"{path}/resume", headers=operator), 200)["status"] == "active"
    listed = expect(await client.get("/api/v1/platform/stores", headers=operator), 200)
    assert [s["id"] for s in listed] == [store["id"]]
