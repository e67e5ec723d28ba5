"""Self-pickup orders (自提): no shipping, a pickup code on payment, verification at the counter
that completes the order once, and guessing that finds nothing."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import httpx
from sqlalchemy import select

from tests.logistics.test_pickup_points import add_point
from tests.orders.conftest import Shop, open_shop
from tests.support import Api, expect
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.orders import repository as orders_repo
from weshop.orders.models import OrderPickup
from weshop.orders.pickup import code_index
from weshop.orders.pickup_verification import VERIFY_BACKOFF
from weshop.orders.service import AFTERSALES_WINDOW_CLOSED

CONTACT = {"name": "李小龙", "phone": "13811112222"}
FEE_TEMPLATE = {
    "name": "全国",
    "charge_by": "piece",
    "rules": [
        {"first_units": 1, "first_fee_fen": 800, "additional_units": 1, "additional_fee_fen": 200}
    ],
}


async def pickup_shop(api: Api) -> tuple[Shop, dict]:
    """A shop whose goods ship for 8 yuan, and one open pickup point of it."""
    shop = await open_shop(api)
    expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{shop.store['id']}/shipping-templates",
            json=FEE_TEMPLATE,
            headers=shop.owner,
        ),
        201,
    )
    return shop, await add_point(api, shop.store["id"], shop.owner)


def pickup_body(shop: Shop, point: dict, quantity: int = 1, **extra) -> dict:
    return {
        "items": [{"sku_id": shop.sku_id, "quantity": quantity}],
        "pickup": [{"store_id": shop.store["id"], "pickup_point_id": point["id"]}],
        "pickup_contact": CONTACT,
        **extra,
    }


async def place_pickup(api: Api, shop: Shop, point: dict) -> dict:
    body = pickup_body(shop, point)
    placed = expect(
        await api.client.post("/api/v1/me/orders", json=body, headers=shop.shopper), 201
    )
    return placed["orders"][0]


async def paid_pickup(api: Api, shop: Shop, point: dict) -> dict:
    order = await place_pickup(api, shop, point)
    await api.confirm_in_cashier(await api.start_payment(shop.shopper, order["id"]))
    return await api.order(shop.shopper, order["id"])


def verify_path(store_id: int) -> str:
    return f"/api/v1/merchant/stores/{store_id}/pickups/verify"


async def verify(client, shop: Shop, code: str, headers=None) -> httpx.Response:
    return await client.post(
        verify_path(shop.store["id"]), json={"code": code}, headers=headers or shop.owner
    )


def refusal(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


async def test_a_pickup_store_ships_nothing_and_the_quote_says_why(api, client):
    shop, point = await pickup_shop(api)
    quote_path = "/api/v1/me/checkout/quote"
    items = {"items": [{"sku_id": shop.sku_id, "quantity": 2}], "address_id": shop.address["id"]}
    express = expect(await client.post(quote_path, json=items, headers=shop.shopper), 200)
    assert express["shipping_fen"] == 1000
    assert express["stores"][0]["delivery"] == "express"
    body = pickup_body(shop, point, quantity=2)
    basket = {key: value for key, value in body.items() if key != "pickup_contact"}
    quoted = expect(await client.post(quote_path, json=basket, headers=shop.shopper), 200)
    assert quoted["shipping_fen"] == 0
    assert quoted["stores"][0]["delivery"] == "pickup"
    assert quoted["payable_fen"] == express["payable_fen"] - 1000

    placed = expect(await client.post("/api/v1/me/orders", json=body, headers=shop.shopper), 201)
    order = placed["orders"][0]
    assert (order["delivery"], order["shipping_fen"]) == ("pickup", 0)
    assert order["payable_fen"] == quoted["payable_fen"]
    assert order["shipping_address"]["detail"] == "" and order["shipping_address"]["phone"] == ""
    assert order["pickup"]["point_name"] == point["name"]
    assert order["pickup"]["contact_phone"] == CONTACT["phone"]
    assert order["pickup"]["code"] is None  # not paid yet


async def test_a_checkout_ships_one_store_and_picks_up_at_another(api, client):
    shop, point = await pickup_shop(api)
    other_id, other_owner = await api.new_store("别家")
    other = await api.create_product(other_id, other_owner, price_fen=500, stock=5)
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{other_id}/shipping-templates",
            json=FEE_TEMPLATE,
            headers=other_owner,
        ),
        201,
    )
    body = pickup_body(shop, point, address_id=shop.address["id"])
    body["items"].append({"sku_id": other["skus"][0]["id"], "quantity": 1})
    placed = expect(await client.post("/api/v1/me/orders", json=body, headers=shop.shopper), 201)
    by_store = {order["store_id"]: order for order in placed["orders"]}
    assert by_store[shop.store["id"]]["delivery"] == "pickup"
    assert by_store[shop.store["id"]]["shipping_fen"] == 0
    assert by_store[other_id]["delivery"] == "express"
    assert by_store[other_id]["shipping_fen"] == 800
    assert by_store[other_id]["shipping_address"]["province"] == shop.address["province"]


async def test_pickup_checkouts_that_cannot_be_placed_are_refused(api, client):
    shop, point = await pickup_shop(api)
    other_id, other_owner = await api.new_store("别家")
    foreign = await add_point(api, other_id, other_owner)
    place = "/api/v1/me/orders"

    async def refused(body: dict) -> tuple[int, str]:
        return refusal(await client.post(place, json=body, headers=shop.shopper))

    no_contact = pickup_body(shop, point)
    del no_contact["pickup_contact"]
    assert await refused(no_contact) == (422, "pickup_contact_required")
    express_without_address = {"items": [{"sku_id": shop.sku_id, "quantity": 1}]}
    assert await refused(express_without_address) == (422, "address_required")
    assert await refused(pickup_body(shop, foreign)) == (422, "unknown_pickup_point")
    elsewhere = pickup_body(shop, point)
    elsewhere["pickup"].append({"store_id": other_id, "pickup_point_id": foreign["id"]})
    assert await refused(elsewhere) == (422, "pickup_store_not_in_checkout")
    expect(
        await client.put(
            f"/api/v1/merchant/stores/{shop.store['id']}/pickup-points/{point['id']}",
            json={
                **{k: point[k] for k in ("name", "province", "city", "district")},
                "address": point["address"],
                "opening_hours": point["opening_hours"],
                "phone": point["phone"],
                "is_active": False,
            },
            headers=shop.owner,
        ),
        200,
    )
    assert await refused(pickup_body(shop, point)) == (422, "unknown_pickup_point")


async def test_the_paid_order_gets_a_code_that_completes_it_once(api, client, runtime):
    shop, point = await pickup_shop(api)
    paid = await paid_pickup(api, shop, point)
    code = paid["pickup"]["code"]
    assert paid["status"] == "paid" and len(code) == 12 and code.isdigit()
    staff_view = expect(
        await client.get(
            f"/api/v1/merchant/stores/{shop.store['id']}/orders/{paid['id']}", headers=shop.owner
        ),
        200,
    )
    assert staff_view["pickup"]["code"] is None
    assert "ship" not in staff_view["allowed_actions"]
    shipped = await client.post(
        f"/api/v1/merchant/stores/{shop.store['id']}/orders/{paid['id']}/shipments",
        json={"packages": [{"carrier": "顺丰", "tracking_no": "SF1000001"}]},
        headers=shop.owner,
    )
    assert refusal(shipped) == (409, "pickup_order")

    wrong = f"{(int(code) + 1) % 10**12:012d}"
    assert refusal(await verify(client, shop, wrong)) == (422, "unknown_pickup_code")
    other_id, other_owner = await api.new_store("别家")
    elsewhere = await client.post(verify_path(other_id), json={"code": code}, headers=other_owner)
    assert refusal(elsewhere) == (422, "unknown_pickup_code")

    done = expect(await verify(client, shop, code), 200)
    assert done["status"] == "completed" and done["completed_at"] is not None
    assert [event["action"] for event in done["history"]] == ["place", "pay", "pick_up"]
    assert done["pickup"]["picked_up_at"] is not None
    assert refusal(await verify(client, shop, code)) == (409, "pickup_code_used")
    async with runtime.db.session(write=False) as session:
        deadline = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == AFTERSALES_WINDOW_CLOSED)
        )
    assert deadline.payload == {"order_id": paid["id"]}


async def test_random_guesses_find_no_order_and_staff_are_locked_out(api, client, runtime):
    shop, point = await pickup_shop(api)
    codes = {(await paid_pickup(api, shop, point))["pickup"]["code"] for _ in range(3)}
    assert len(codes) == 3
    # 1,000 uniformly random guesses against the store, read as verification reads them.
    async with runtime.db.session(write=False) as session:
        for _ in range(1000):
            guess = f"{secrets.randbelow(10**12):012d}"
            found = await orders_repo.pickup_by_code(session, shop.store["id"], code_index(guess))
            assert found is None or guess in codes

    for _ in range(VERIFY_BACKOFF.max_failures):
        guess = f"{secrets.randbelow(10**12):012d}"
        assert refusal(await verify(client, shop, guess)) == (422, "unknown_pickup_code")
    locked = await verify(client, shop, next(iter(codes)))
    assert refusal(locked) == (429, "pickup_verify_locked")
    assert int(locked.headers["Retry-After"]) > 0
    # The lock is this staff member's at this store: a colleague still verifies.
    colleague = await api.add_staff(shop.store["id"], shop.owner, "operator")
    assert expect(await verify(client, shop, next(iter(codes)), colleague), 200)["status"] == (
        "completed"
    )


async def test_concurrent_verifications_of_one_code_complete_the_order_once(api, runtime, live_url):
    shop, point = await pickup_shop(api)
    paid = await paid_pickup(api, shop, point)
    code = paid["pickup"]["code"]
    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
        answers = await asyncio.gather(*(verify(http, shop, code) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "pickup_code_used"
    }
    async with runtime.db.session(write=False) as session:
        pickup = await session.scalar(select(OrderPickup).where(OrderPickup.order_id == paid["id"]))
        events = await orders_repo.events_of(session, paid["id"])
    assert pickup.picked_up_at is not None
    assert [event.action for event in events].count("pick_up") == 1


async def test_a_paid_pickup_order_waits_for_its_shopper_however_long(api, worker):
    shop, point = await pickup_shop(api)
    paid = await paid_pickup(api, shop, point)
    assert paid["auto_confirm_at"] is None
    await worker.drain(utcnow() + timedelta(days=90))
    waiting = await api.order(shop.shopper, paid["id"])
    assert waiting["status"] == "paid" and waiting["pickup"]["code"] == paid["pickup"]["code"]
