"""Flash-sale fixtures: a store with a flash session and one item, shoppers made in bulk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from tests.orders.conftest import Shop, open_shop
from tests.support import Api, Headers, expect, new_phone
from weshop.accounts import service as accounts
from weshop.accounts.schemas import AddressIn
from weshop.core.clock import utcnow
from weshop.flashsale.gate import gate_of
from weshop.flashsale.models import FlashItem, FlashSession
from weshop.inventory.models import StockLevel
from weshop.orders.models import CampaignKind, Order, OrderStatus


def merchant_url(store_id: int, path: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/flash-sessions{path}"


def attempt_url(item_id: int) -> str:
    return f"/api/v1/me/flash-items/{item_id}/attempts"


@dataclass
class Flash:
    shop: Shop
    session: dict
    item: dict

    @property
    def store_id(self) -> int:
        return self.shop.store["id"]

    @property
    def item_id(self) -> int:
        return self.item["id"]


def session_body(**changes: Any) -> dict:
    now = utcnow()
    body = {
        "title": "晚八点秒杀",
        "starts_at": (now + timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "payment_window_minutes": 5,
    }
    return body | changes


async def open_flash(
    api: Api,
    *,
    regular_stock: int = 300,
    flash_stock: int = 100,
    limit: int = 1,
    price_fen: int = 9900,
    flash_price_fen: int = 990,
    started: bool = True,
    payment_window: int = 5,
) -> Flash:
    """A store whose product has ``regular_stock`` units, ``flash_stock`` of them in a flash
    session that has started (unless ``started`` is False)."""
    shop = await open_shop(api, stock=regular_stock, price_fen=price_fen)
    store_id = shop.store["id"]
    client = api.client
    session = expect(
        await client.post(
            merchant_url(store_id),
            json=session_body(payment_window_minutes=payment_window),
            headers=shop.owner,
        ),
        201,
    )
    item = expect(
        await client.post(
            merchant_url(store_id, f"/{session['id']}/items"),
            json={
                "sku_id": shop.sku_id,
                "flash_price_fen": flash_price_fen,
                "flash_stock": flash_stock,
                "per_shopper_limit": limit,
            },
            headers=shop.owner,
        ),
        201,
    )
    flash = Flash(shop, session, item)
    if started:
        await start_now(api.runtime, session["id"])
    return flash


async def start_now(runtime: Any, session_id: int) -> None:
    """The session's start moved to a moment ago (the API refuses edits once it starts)."""
    async with runtime.db.transaction() as db:
        await db.execute(
            update(FlashSession)
            .where(FlashSession.id == session_id)
            .values(starts_at=utcnow() - timedelta(seconds=1))
        )


async def shoppers(runtime: Any, count: int) -> list[tuple[Headers, int]]:
    """Signed-in shoppers with an address each, made in one transaction (the sign-in API
    is tested elsewhere): their headers and address ids."""
    made = []
    async with runtime.db.transaction() as db:
        for _ in range(count):
            user = await accounts.get_or_create_user(db, new_phone())
            issued = await accounts.issue_session(db, user, runtime.settings)
            address = await accounts.add_address(
                db,
                user,
                AddressIn(
                    recipient="李四",
                    phone="13912345678",
                    province="浙江省",
                    city="杭州市",
                    detail="文三路 100 号",
                ),
            )
            made.append(({"Authorization": f"Bearer {issued.token}"}, address.id))
    return made


async def attempt(
    client: httpx.AsyncClient,
    item_id: int,
    shopper: tuple[Headers, int],
    *,
    key: str | None = None,
    quantity: int = 1,
) -> httpx.Response:
    headers = dict(shopper[0])
    if key:
        headers["Idempotency-Key"] = key
    return await client.post(
        attempt_url(item_id),
        json={"address_id": shopper[1], "quantity": quantity},
        headers=headers,
    )


async def burst(
    client: httpx.AsyncClient,
    item_id: int,
    crowd: list[tuple[Headers, int]],
    rounds: int,
    concurrency: int = 64,
) -> list[httpx.Response]:
    """Every shopper of ``crowd`` tries ``rounds`` times, ``concurrency`` requests in flight
    at once (answers in the order of the tries: the crowd, ``rounds`` times over)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(shopper: tuple[Headers, int]) -> httpx.Response:
        async with gate:
            return await attempt(client, item_id, shopper)

    return await asyncio.gather(*(one(shopper) for _ in range(rounds) for shopper in crowd))


async def live_burst(
    url: str, item_id: int, crowd: list[tuple[Headers, int]], rounds: int, connections: int = 32
) -> list[httpx.Response]:
    """The same over real connections to the app served by uvicorn."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        return await burst(http, item_id, crowd, rounds, connections)


async def item_row(runtime: Any, item_id: int) -> FlashItem:
    async with runtime.db.session(write=False) as db:
        return await db.get_one(FlashItem, item_id)


async def regular_stock(runtime: Any, sku_id: int) -> int:
    async with runtime.db.session(write=False) as db:
        return (await db.get_one(StockLevel, sku_id)).available


async def flash_orders(runtime: Any, session_id: int) -> list[Order]:
    async with runtime.db.session(write=False) as db:
        query = select(Order).where(
            Order.campaign_kind == CampaignKind.FLASH, Order.campaign_id == session_id
        )
        return list(await db.scalars(query))


async def live_orders(runtime: Any, session_id: int) -> int:
    async with runtime.db.session(write=False) as db:
        return await db.scalar(
            select(func.count(Order.id)).where(
                Order.campaign_kind == CampaignKind.FLASH,
                Order.campaign_id == session_id,
                Order.status != OrderStatus.CANCELLED,
            )
        )


async def redis_stock(runtime: Any, item_id: int) -> int | None:
    gate = gate_of(runtime)
    if gate is None:
        return None
    state = await gate.read(item_id)
    return None if state is None else state.stock
