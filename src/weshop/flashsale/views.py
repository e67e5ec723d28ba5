"""The read side of flash sales: sessions for staff, the strip and page for shoppers,
figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.views import SkuListing, describe_skus
from weshop.core.read_cache import kept_read
from weshop.flashsale import repository as repo
from weshop.flashsale.models import (
    AttemptState,
    FlashAttempt,
    FlashItem,
    FlashSession,
    SessionStatus,
)
from weshop.flashsale.schemas import (
    ItemFigures,
    ItemOut,
    SessionFigures,
    SessionOut,
    ShopItemOut,
    ShopSessionOut,
)
from weshop.flashsale.service import phase
from weshop.orders.models import CampaignKind, Order

# How far ahead the storefront shows upcoming sessions.
UPCOMING = timedelta(days=2)


def sold_percent(item: FlashItem) -> int:
    """Rounded down, so 100 means none is left."""
    return item.sold * 100 // item.flash_stock if item.flash_stock else 100


def _item_out(item: FlashItem, listing: SkuListing | None) -> ItemOut:
    return ItemOut(
        id=item.id,
        session_id=item.session_id,
        store_id=item.store_id,
        product_id=item.product_id,
        sku_id=item.sku_id,
        title=listing.product.title if listing else "",
        spec_text=listing.sku.spec_text if listing else "",
        price_fen=listing.sku.price_fen if listing else 0,
        flash_price_fen=item.flash_price_fen,
        flash_stock=item.flash_stock,
        sold=item.sold,
        sold_percent=sold_percent(item),
        per_shopper_limit=item.per_shopper_limit,
        sort_order=item.sort_order,
        attempts=item.attempts,
        returned_to_stock=item.returned_to_stock,
    )


async def sessions_out(
    db: AsyncSession, sessions: list[FlashSession], now: datetime
) -> list[SessionOut]:
    items = await repo.items_of(db, [flash.id for flash in sessions])
    listings = await describe_skus(db, {item.sku_id for item in items})
    by_session: dict[int, list[ItemOut]] = defaultdict(list)
    for item in items:
        by_session[item.session_id].append(_item_out(item, listings.get(item.sku_id)))
    return [
        SessionOut(
            id=flash.id,
            store_id=flash.store_id,
            title=flash.title,
            starts_at=flash.starts_at,
            ends_at=flash.ends_at,
            payment_window_minutes=flash.payment_window_minutes,
            status=flash.status,
            phase=phase(flash, now),  # type: ignore[arg-type]
            ended_at=flash.ended_at,
            items=by_session[flash.id],
        )
        for flash in sessions
    ]


@dataclass(frozen=True)
class _ShownItem:
    item_id: int
    store_id: int
    product_id: int
    sku_id: int
    title: str
    spec_text: str
    image_url: str | None
    price_fen: int
    flash_price_fen: int
    per_shopper_limit: int
    sold: int
    flash_stock: int


@dataclass(frozen=True)
class _ShownSession:
    id: int
    store_id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    ended: bool
    items: tuple[_ShownItem, ...]

    def phase(self, now: datetime) -> str:
        if self.ended or now >= self.ends_at:
            return "over"
        return "upcoming" if now < self.starts_at else "live"


def _shown_item(item: FlashItem, listing: SkuListing) -> _ShownItem:
    return _ShownItem(
        item_id=item.id,
        store_id=item.store_id,
        product_id=item.product_id,
        sku_id=item.sku_id,
        title=listing.product.title,
        spec_text=listing.sku.spec_text,
        image_url=listing.image_url,
        price_fen=listing.sku.price_fen,
        flash_price_fen=item.flash_price_fen,
        per_shopper_limit=item.per_shopper_limit,
        sold=item.sold,
        flash_stock=item.flash_stock,
    )


async def _unsettled(db: AsyncSession) -> tuple[_ShownSession, ...]:
    """Every session not settled, with its items of published products: immutable values,
    kept while no table they come from changes (the clock is applied after)."""

    async def read() -> tuple[_ShownSession, ...]:
        sessions = list(await db.scalars(repo.unsettled_query()))
        items = await repo.items_of(db, [flash.id for flash in sessions])
        listings = await describe_skus(db, {item.sku_id for item in items})
        return tuple(
            _ShownSession(
                id=flash.id,
                store_id=flash.store_id,
                title=flash.title,
                starts_at=flash.starts_at,
                ends_at=flash.ends_at,
                ended=flash.status == SessionStatus.ENDED,
                items=tuple(
                    _shown_item(item, listings[item.sku_id])
                    for item in items
                    if item.session_id == flash.id
                    and item.sku_id in listings
                    and listings[item.sku_id].problem is None
                ),
            )
            for flash in sessions
        )

    return await kept_read(db, ("flashsale.unsettled",), read)


def _shop_item(item: _ShownItem, session_phase: str) -> ShopItemOut:
    state = session_phase
    if session_phase == "live" and item.sold >= item.flash_stock:
        state = "sold_out"
    return ShopItemOut(
        item_id=item.item_id,
        store_id=item.store_id,
        product_id=item.product_id,
        sku_id=item.sku_id,
        title=item.title,
        spec_text=item.spec_text,
        image_url=item.image_url,
        price_fen=item.price_fen,
        flash_price_fen=item.flash_price_fen,
        per_shopper_limit=item.per_shopper_limit,
        sold_percent=item.sold * 100 // item.flash_stock,
        state=state,  # type: ignore[arg-type]
    )


async def shop_sessions(
    db: AsyncSession, now: datetime, *, store_id: int | None = None
) -> list[ShopSessionOut]:
    """Sessions running now, then those starting within two days, soonest first, with their
    items of published products (``store_id``: only that store's items)."""
    out = []
    for shown in await _unsettled(db):
        session_phase = shown.phase(now)
        if session_phase == "over" or shown.starts_at > now + UPCOMING:
            continue
        items = [
            _shop_item(item, session_phase)
            for item in shown.items
            if store_id is None or item.store_id == store_id
        ]
        if items:
            out.append(
                ShopSessionOut(
                    id=shown.id,
                    store_id=shown.store_id,
                    title=shown.title,
                    starts_at=shown.starts_at,
                    ends_at=shown.ends_at,
                    phase=session_phase,  # type: ignore[arg-type]
                    items=items,
                )
            )
    out.sort(key=lambda showing: (showing.phase != "live", showing.starts_at, showing.id))
    return out


async def live_price(db: AsyncSession, product_id: int, now: datetime) -> ShopItemOut | None:
    """The product's flash item in a running session (the lowest price), if any."""
    found = [
        item
        for showing in await shop_sessions(db, now)
        if showing.phase == "live"
        for item in showing.items
        if item.product_id == product_id
    ]
    return min(found, key=lambda item: item.flash_price_fen) if found else None


async def figures(db: AsyncSession, flash: FlashSession) -> SessionFigures:
    items = await repo.items_of(db, [flash.id])
    listings = await describe_skus(db, {item.sku_id for item in items})
    paid = Order.paid_at.is_not(None)
    query = (
        select(
            FlashAttempt.item_id,
            func.count(FlashAttempt.id),
            func.sum(case((FlashAttempt.state == AttemptState.RELEASED, 1), else_=0)),
            func.sum(case((paid, FlashAttempt.quantity), else_=0)),
            func.sum(case((paid, 1), else_=0)),
            func.coalesce(func.sum(case((paid, Order.paid_fen - Order.refunded_fen), else_=0)), 0),
        )
        .join(Order, Order.id == FlashAttempt.order_id)
        .where(
            FlashAttempt.session_id == flash.id,
            Order.campaign_kind == CampaignKind.FLASH,
        )
        .group_by(FlashAttempt.item_id)
    )
    rows = {row[0]: row[1:] for row in (await db.execute(query)).all()}
    per_item = []
    released = paid_orders = 0
    for item in items:
        accepted, item_released, paid_units, item_paid, gmv = rows.get(item.id, (0, 0, 0, 0, 0))
        released += int(item_released or 0)
        paid_orders += int(item_paid or 0)
        listing = listings.get(item.sku_id)
        per_item.append(
            ItemFigures(
                item_id=item.id,
                sku_id=item.sku_id,
                title=listing.product.title if listing else "",
                flash_stock=item.flash_stock,
                attempts=max(item.attempts, int(accepted)),
                accepted=int(accepted),
                sold=item.sold,
                paid_units=int(paid_units or 0),
                gmv_fen=int(gmv or 0),
            )
        )
    return SessionFigures(
        session_id=flash.id,
        attempts=sum(line.attempts for line in per_item),
        accepted=sum(line.accepted for line in per_item),
        released=released,
        sold=sum(line.sold for line in per_item),
        paid_orders=paid_orders,
        gmv_fen=sum(line.gmv_fen for line in per_item),
        items=per_item,
    )
