"""Personal data is encrypted at rest, found by blind index, masked in answers and logs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from tests.orders.conftest import open_shop
from tests.orders.test_pickup import CONTACT, paid_pickup, pickup_shop
from tests.support import expect, new_phone
from tests.wechat.support import MINIPROGRAM, mini_program_sign_in
from weshop.core.logging import flush_logs
from weshop.models import metadata
from weshop.payments.models import Refund
from weshop.wechat.models import WechatIdentity

ADDRESS_PHONE = "13912345678"  # tests.support.Api.add_address
STREET = "文三路 100 号"
OWNER_NAME = "欧阳明月"
BUYER_NOTE = "放丰巢柜,门禁密码 4321"
CANCEL_REASON = "地址写错了,联系楼下李大爷"


async def all_text_values(runtime) -> str:
    """Every value of every table as stored: raw SQL, so no column type decrypts anything."""
    values = []
    async with runtime.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            values.extend(str(value) for row in rows for value in row if value is not None)
    return "\n".join(values)


async def test_no_plain_phone_or_street_anywhere_in_the_database(api, client, runtime, settings):
    shop = await open_shop(api)
    expect(await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201)
    me = expect(await client.get("/api/v1/me", headers=shop.shopper), 200)
    assert "****" in me["phone"]
    dump = await all_text_values(runtime)
    assert ADDRESS_PHONE not in dump
    assert STREET not in dump
    assert "张三" not in dump
    if runtime.db.is_sqlite:
        raw = Path(settings.database_url.split(":///", 1)[1])
        for path in (raw, raw.with_name(raw.name + "-wal")):
            if path.exists():
                content = path.read_bytes()
                assert ADDRESS_PHONE.encode() not in content
                assert STREET.encode() not in content


async def test_answers_mask_personal_data_unless_a_role_needs_it(api, client):
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    base = f"/api/v1/merchant/stores/{shop.store['id']}/orders/{order_id}"
    order = expect(await client.get(base, headers=shop.owner), 200)
    assert order["shipping_address"]["phone"] == "139****5678"
    assert STREET not in str(order)
    full = expect(await client.get(f"{base}/shipping-address", headers=shop.owner), 200)
    assert full["phone"] == ADDRESS_PHONE
    finance = await api.add_staff(shop.store["id"], shop.owner, "finance")
    assert (await client.get(f"{base}/shipping-address", headers=finance)).status_code == 403
    # The shopper's own answers carry their own address in full; staff's stay masked (above).
    addresses = expect(await client.get("/api/v1/me/addresses", headers=shop.shopper), 200)
    assert addresses[0]["phone"] == ADDRESS_PHONE and STREET in addresses[0]["detail"]
    mine = expect(await client.get(f"/api/v1/me/orders/{order_id}", headers=shop.shopper), 200)
    assert mine["shipping_address"]["phone"] == ADDRESS_PHONE
    assert STREET in mine["shipping_address"]["detail"]
    assert mine["shipping_address"]["recipient"] == "张三"


async def test_staff_find_orders_by_full_phone_through_the_blind_index(api, client):
    shop = await open_shop(api)
    expect(await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201)
    base = f"/api/v1/merchant/stores/{shop.store['id']}/orders"
    found = expect(await client.get(base, params={"phone": ADDRESS_PHONE}, headers=shop.owner), 200)
    assert len(found["items"]) == 1
    none = expect(await client.get(base, params={"phone": "13912340000"}, headers=shop.owner), 200)
    assert none["items"] == []


async def test_sign_in_codes_in_the_log_show_a_masked_phone(client, capsys):
    expect(await client.post("/api/v1/auth/codes", json={"phone": "13655556666"}), 202)
    flush_logs()
    captured = capsys.readouterr()
    logged = captured.out + captured.err
    assert "136****6666" in logged
    assert "13655556666" not in logged


async def test_names_notes_and_reasons_are_encrypted_and_shown_to_whom_they_belong(
    api, client, runtime
):
    operator = await api.operator()
    owner_phone = new_phone()
    store = expect(
        await client.post(
            "/api/v1/platform/stores",
            json={"name": "山野农场", "owner_phone": owner_phone, "owner_name": OWNER_NAME},
            headers=operator,
        ),
        201,
    )
    owner = await api.sign_in(owner_phone)
    product = await api.create_product(store["id"], owner)
    shopper_phone = new_phone()
    shopper = await api.sign_in(shopper_phone)
    address = await api.add_address(shopper)
    order = {
        "address_id": address["id"],
        "items": [{"sku_id": product["skus"][0]["id"], "quantity": 1}],
        "note": BUYER_NOTE,
    }
    placed = expect(await client.post("/api/v1/me/orders", json=order, headers=shopper), 201)
    order_id = placed["orders"][0]["id"]
    cancel = {"reason": CANCEL_REASON}
    mine = f"/api/v1/me/orders/{order_id}"
    expect(await client.post(f"{mine}/cancel", json=cancel, headers=shopper), 200)

    dump = await all_text_values(runtime)
    for personal in (OWNER_NAME, BUYER_NOTE, CANCEL_REASON, owner_phone, shopper_phone):
        assert personal not in dump, personal

    assert expect(await client.get("/api/v1/me", headers=owner), 200)["display_name"] == OWNER_NAME
    seen_by_shopper = expect(await client.get(mine, headers=shopper), 200)
    merchant_order = f"/api/v1/merchant/stores/{store['id']}/orders/{order_id}"
    seen_by_store = expect(await client.get(merchant_order, headers=owner), 200)
    for seen in (seen_by_shopper, seen_by_store):
        assert seen["buyer_note"] == BUYER_NOTE
        assert seen["cancel_reason"] == CANCEL_REASON
        assert CANCEL_REASON in [event["note"] for event in seen["history"]]
    staff = expect(
        await client.get(f"/api/v1/merchant/stores/{store['id']}/staff", headers=owner), 200
    )
    assert OWNER_NAME in str(staff)


async def test_a_paid_orders_cancel_reason_stays_encrypted_through_its_refund(
    api, client, runtime, runner
):
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    order_id = placed["orders"][0]["id"]
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order_id))
    await runner.run()
    cancel = {"reason": CANCEL_REASON}
    mine = f"/api/v1/me/orders/{order_id}"
    expect(await client.post(f"{mine}/cancel", json=cancel, headers=shop.shopper), 200)
    await runner.run()

    async with runtime.db.session(write=False) as session:
        refunds = (await session.scalars(select(Refund).where(Refund.order_id == order_id))).all()
    assert [refund.reason for refund in refunds] == [CANCEL_REASON]
    # Neither the refund row nor the outbox message that asked for it holds the words.
    assert CANCEL_REASON not in await all_text_values(runtime)


async def test_a_pickup_contact_and_code_are_encrypted_and_masked_for_staff(api, client, runtime):
    shop, point = await pickup_shop(api)
    paid = await paid_pickup(api, shop, point)
    code = paid["pickup"]["code"]
    assert paid["pickup"]["contact_phone"] == CONTACT["phone"]
    dump = await all_text_values(runtime)
    for secret in (CONTACT["phone"], CONTACT["name"], code):
        assert secret not in dump
    staff = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{paid['id']}", headers=shop.owner
        ),
        200,
    )
    assert staff["pickup"]["contact_phone"] == "138****2222"
    assert staff["pickup"]["contact_name"] == "李**"
    assert staff["pickup"]["code"] is None and code not in str(staff)


async def test_wechat_ids_are_encrypted_at_rest_and_masked_in_the_log(
    client, runtime, settings, wxsim, capsys
):
    signed_in = await mini_program_sign_in(client, wxsim, "lina")
    openid = wxsim.openid_of(MINIPROGRAM, "lina")
    unionid = wxsim.unionid_of(MINIPROGRAM, "lina")
    async with runtime.db.session(write=False) as session:
        identity = await session.scalar(select(WechatIdentity))
    session_key = identity.session_key
    assert identity.openid == openid and identity.unionid == unionid and session_key
    dump = await all_text_values(runtime)
    for value in (openid, unionid, session_key):
        assert value not in dump
        assert value not in str(signed_in)
    flush_logs()
    captured = capsys.readouterr()
    for value in (openid, unionid, session_key):
        assert value not in captured.out + captured.err
