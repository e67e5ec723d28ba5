"""Campaign orders (``orders.campaigns``): one SKU at a campaign's price, priced by the pricing
core on the campaign's channel, carrying its campaign; held from shipping until released; its
life announced to the campaign domains in the transaction of each change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.orders.conftest import Shop
from tests.orders.test_lifecycle import merchant, pay
from tests.orders.test_no_oversell import stock_of
from tests.support import expect
from weshop.accounts import service as accounts
from weshop.core.errors import InvalidInput
from weshop.core.events import SUBSCRIBERS_KEY, Subscribers
from weshop.orders.campaigns import CampaignOffer, place_campaign_order, quote_campaign_order
from weshop.orders.events import CampaignOrderClosed, CampaignOrderPaid
from weshop.orders.models import CampaignKind, Order
from weshop.orders.schemas import CheckoutIn
from weshop.orders.service import release_shipping_hold


@pytest.fixture
async def heard(runtime) -> AsyncIterator[list[object]]:
    """The campaign events announced while the test runs, heard by a subscriber added to the
    app's own wiring (and taken away after)."""
    async with runtime.db.session(write=False) as session:
        wired: Subscribers = session.info[SUBSCRIBERS_KEY]
    events: list[object] = []

    async def note(session: AsyncSession, event: object) -> None:
        events.append(event)

    added = {event_type: note for event_type in (CampaignOrderPaid, CampaignOrderClosed)}
    for event_type, subscriber in added.items():
        wired.subscribers.setdefault(event_type, []).append(subscriber)
    yield events
    for event_type, subscriber in added.items():
        wired.subscribers[event_type].remove(subscriber)


def offer(shop: Shop, kind: CampaignKind = CampaignKind.GROUP, **fields: object) -> CampaignOffer:
    values: dict = {
        "kind": kind,
        "campaign_id": 7,
        "entry_id": 70,
        "sku_id": shop.sku_id,
        "price_fen": 999,
        "label": "三人拼团价",
    }
    return CampaignOffer(**(values | fields))


def body(shop: Shop, quantity: int = 1, sku_id: int | None = None) -> CheckoutIn:
    return CheckoutIn.model_validate(
        {
            "address_id": shop.address["id"],
            "items": [{"sku_id": sku_id or shop.sku_id, "quantity": quantity}],
        }
    )


async def place(runtime, shop: Shop, campaign: CampaignOffer, quantity: int = 1) -> Order:
    token = shop.shopper["Authorization"].removeprefix("Bearer ")
    async with runtime.db.transaction() as session:
        user = await accounts.authenticate(session, token)
        placed = await place_campaign_order(session, user, campaign, body(shop, quantity))
    (order,) = placed.orders
    return order


async def test_a_campaign_order_is_priced_on_its_channel_and_carries_its_campaign(
    api, runtime, shop: Shop
):
    order = await place(runtime, shop, offer(shop, hold_shipping=True), quantity=2)
    assert (order.campaign_kind, order.campaign_id, order.campaign_entry_id) == ("group", 7, 70)
    assert order.shipping_held
    assert order.subtotal_fen == 2 * 1999
    line = order.price_snapshot["lines"][0]
    assert line["unit_price_fen"] == 999
    assert [(a["kind"], a["source_id"], a["label"]) for a in line["adjustments"]] == [
        ("campaign_price", "group:7", "三人拼团价")
    ]
    # Ordinary stock is held for it like for any order.
    assert (await stock_of(runtime, shop.sku_id)).reserved == 2
    seen = await api.order(shop.shopper, order.id)
    assert seen["payable_fen"] == order.payable_fen


async def test_a_quote_shows_what_the_order_would_cost(runtime, shop: Shop):
    token = shop.shopper["Authorization"].removeprefix("Bearer ")
    async with runtime.db.session(write=False) as session:
        user = await accounts.authenticate(session, token)
        quote = await quote_campaign_order(session, user, offer(shop), 3, shop.address["id"])
    assert quote.lines[0].unit_price_fen == 999
    assert quote.subtotal_fen - quote.discount_fen == 3 * 999


async def test_flash_stock_held_by_the_campaign_reserves_no_regular_stock(runtime, shop: Shop):
    order = await place(
        runtime,
        shop,
        offer(shop, CampaignKind.FLASH, holds_stock=True, payment_window_minutes=5),
    )
    assert (await stock_of(runtime, shop.sku_id)).reserved == 0
    assert order.pay_deadline - order.created_at <= timedelta(minutes=5, seconds=1)


async def test_a_held_order_ships_only_once_released(api, client, runtime, shop: Shop, heard):
    order = await place(runtime, shop, offer(shop, hold_shipping=True))
    paid = await pay(api, shop, {"id": order.id})
    assert paid["status"] == "paid"
    assert [type(event) for event in heard] == [CampaignOrderPaid]
    assert heard[0].order_id == order.id and heard[0].entry_id == 70
    shipment = {"packages": [{"carrier": "顺丰", "tracking_no": "SF1000001"}]}
    path = merchant(shop, f"/orders/{order.id}/shipments")
    refused = expect(await client.post(path, json=shipment, headers=shop.owner), 409)
    assert refused["error"]["code"] == "shipping_held"

    async with runtime.db.transaction() as session:
        await release_shipping_hold(session, [order.id])
    shipped = expect(await client.post(path, json=shipment, headers=shop.owner), 200)
    assert shipped["status"] == "shipped"


async def test_closing_a_campaign_order_is_announced(api, client, runtime, shop: Shop, heard):
    unpaid = await place(runtime, shop, offer(shop))
    cancel = f"/api/v1/me/orders/{unpaid.id}/cancel"
    expect(await client.post(cancel, json={}, headers=shop.shopper), 200)
    paid = await place(runtime, shop, offer(shop, entry_id=71))
    await pay(api, shop, {"id": paid.id})
    expect(
        await client.post(f"/api/v1/me/orders/{paid.id}/cancel", json={}, headers=shop.shopper), 200
    )
    closed = [event for event in heard if isinstance(event, CampaignOrderClosed)]
    assert [(e.order_id, e.entry_id, e.was_paid, e.reason) for e in closed] == [
        (unpaid.id, 70, False, "cancel"),
        (paid.id, 71, True, "cancel_with_refund"),
    ]


async def test_an_ordinary_order_announces_nothing(api, shop: Shop, heard):
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    await pay(api, shop, placed["orders"][0])
    assert heard == []


async def test_a_campaign_order_is_for_its_one_item_only(api, runtime, shop: Shop):
    other = await api.create_product(shop.store["id"], shop.owner, title="另一件")
    token = shop.shopper["Authorization"].removeprefix("Bearer ")
    async with runtime.db.transaction() as session:
        user = await accounts.authenticate(session, token)
        with pytest.raises(InvalidInput) as refused:
            await place_campaign_order(
                session, user, offer(shop), body(shop, sku_id=other["skus"][0]["id"])
            )
    assert refused.value.code == "invalid_campaign_basket"
