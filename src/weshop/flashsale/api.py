"""Flash sales over HTTP: sessions and items for a store's staff and for platform operators,
the sessions showing for everyone, and the shopper's attempt (the hot path)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentOperator, CurrentUserId, user_id_of
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput
from weshop.core.http import (
    DbSession,
    DirectRoute,
    RequestParts,
    RuntimeDep,
    get_runtime,
    request_json,
    served_directly,
)
from weshop.core.http_errors import error_response
from weshop.core.ids import MAX_ID
from weshop.core.openapi import raises
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.flashsale import attempts, service, views
from weshop.flashsale.attempts import Refused
from weshop.flashsale.schemas import (
    AttemptIn,
    AttemptOut,
    CopyIn,
    ItemIn,
    ItemOut,
    ItemPatch,
    SessionFigures,
    SessionIn,
    SessionOut,
    SessionPatch,
    ShopSessionOut,
    Token,
)
from weshop.flashsale.service import Owner
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.web.response_cache import cached_response

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/flash-sessions", tags=["merchant: flash sales"]
)
platform = APIRouter(prefix="/api/v1/platform/flash-sessions", tags=["platform"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
# The attempt takes a flash sale's peak: served directly (see weshop.core.http.DirectRoute).
me = APIRouter(prefix="/api/v1/me", tags=["flash sales"], route_class=DirectRoute)

SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Flash-sale session id.")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Flash-sale item id.")]
AttemptKey = Annotated[
    Token | None,
    Header(
        alias="Idempotency-Key",
        description="The attempt's idempotency token (or send `token`): a repeat gets the "
        "first answer, never a second unit.",
    ),
]
_ITEM_ID = TypeAdapter(ItemId)
_KEY = TypeAdapter(AttemptKey)

Reader = staff_with(Permission.PROMOTIONS_READ)
Writer = staff_with(Permission.PROMOTIONS_WRITE)


async def _one(session: AsyncSession, flash) -> SessionOut:
    return (await views.sessions_out(session, [flash], utcnow()))[0]


async def _create(session: AsyncSession, owner: Owner, body: SessionIn) -> SessionOut:
    return await _one(session, await service.create_session(session, owner, body, utcnow()))


async def _list(
    session: AsyncSession, owner: Owner, cursor: str | None, limit: int
) -> Page[SessionOut]:
    rows = await service.list_sessions(session, owner, cursor, limit)
    page = page_of(rows, limit, lambda row: row)
    page.items = await views.sessions_out(session, page.items, utcnow())
    return page


async def _get(session: AsyncSession, owner: Owner, session_id: int) -> SessionOut:
    return await _one(session, await service.owned_session(session, owner, session_id))


async def _update(
    session: AsyncSession, owner: Owner, session_id: int, body: SessionPatch
) -> SessionOut:
    flash = await service.update_session(session, owner, session_id, body, utcnow())
    return await _one(session, flash)


async def _stop(session: AsyncSession, owner: Owner, session_id: int) -> SessionOut:
    return await _one(session, await service.stop_session(session, owner, session_id, utcnow()))


async def _copy(
    session: AsyncSession, owner: Owner, session_id: int, body: CopyIn
) -> list[SessionOut]:
    copies = await service.copy_session(session, owner, session_id, body.days, utcnow())
    return await views.sessions_out(session, copies, utcnow())


async def _item_out(session: AsyncSession, owner: Owner, session_id: int, item_id: int) -> ItemOut:
    out = await _get(session, owner, session_id)
    return next(item for item in out.items if item.id == item_id)


async def _add_item(session: AsyncSession, owner: Owner, session_id: int, body: ItemIn) -> ItemOut:
    item = await service.add_item(session, owner, session_id, body, utcnow())
    return await _item_out(session, owner, session_id, item.id)


async def _update_item(
    session: AsyncSession, owner: Owner, session_id: int, item_id: int, body: ItemPatch
) -> ItemOut:
    await service.update_item(session, owner, session_id, item_id, body, utcnow())
    return await _item_out(session, owner, session_id, item_id)


async def _figures(session: AsyncSession, owner: Owner, session_id: int) -> SessionFigures:
    return await views.figures(session, await service.owned_session(session, owner, session_id))


_CREATE_DOC = """Schedule a session: a title, its window and the payment window of its orders
(minutes, 5 by default). A window that ends before it starts is a 422 `invalid_window`; one
that has ended already `window_in_past`. Add items next; copy it to the next days for a
recurring schedule."""
_ITEM_DOC = """Add a SKU at a flash price with flash stock, taken now from its available
regular stock (it goes back unsold when the session ends). Refused with 422: a price of 0
(`invalid_price`) or above the SKU's (`flash_price_above_price`), flash stock above the
available stock (`flash_stock_above_stock`); a SKU of another store is 404 `sku_not_found`;
a session that has started is 409 `session_started`."""
_PLATFORM_ITEM_DOC = _ITEM_DOC.replace(
    "a SKU of another store is 404 `sku_not_found`", "an unknown SKU is 404 `sku_not_found`"
)


# A store's staff


@merchant.post(
    "", status_code=status.HTTP_201_CREATED, response_model=SessionOut, description=_CREATE_DOC
)
async def create_session(body: SessionIn, session: DbSession, scope: StoreScope = Writer):
    return await _create(session, Owner.of(scope), body)


@merchant.get("", response_model=Page[SessionOut])
async def list_sessions(
    session: DbSession,
    scope: StoreScope = Reader,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's flash-sale sessions with their items, newest first."""
    return await _list(session, Owner.of(scope), cursor, limit)


@merchant.get("/{flash_session_id}", response_model=SessionOut)
async def get_session(flash_session_id: SessionId, session: DbSession, scope: StoreScope = Reader):
    """One session with its items: flash stock, sold, attempts, units returned to stock."""
    return await _get(session, Owner.of(scope), flash_session_id)


@merchant.patch("/{flash_session_id}", response_model=SessionOut)
async def update_session(
    flash_session_id: SessionId, body: SessionPatch, session: DbSession, scope: StoreScope = Writer
):
    """Change the title, window or payment window before the session starts (409
    `session_started` after)."""
    return await _update(session, Owner.of(scope), flash_session_id, body)


@merchant.post("/{flash_session_id}/stop", response_model=SessionOut)
async def stop_session(flash_session_id: SessionId, session: DbSession, scope: StoreScope = Writer):
    """End the session now: no more attempts, unsold units back to regular stock. Orders
    placed stay; stopping twice is a 409 `illegal_transition`."""
    return await _stop(session, Owner.of(scope), flash_session_id)


@merchant.post("/{flash_session_id}/copies", response_model=list[SessionOut])
async def copy_session(
    flash_session_id: SessionId, body: CopyIn, session: DbSession, scope: StoreScope = Writer
):
    """Repeat the session with its items on each of the next `days` days at the same time;
    each copy takes its own flash stock (all copies or none)."""
    return await _copy(session, Owner.of(scope), flash_session_id, body)


@merchant.post(
    "/{flash_session_id}/items",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemOut,
    description=_ITEM_DOC,
)
async def add_item(
    flash_session_id: SessionId, body: ItemIn, session: DbSession, scope: StoreScope = Writer
):
    return await _add_item(session, Owner.of(scope), flash_session_id, body)


@merchant.patch("/{flash_session_id}/items/{flash_item_id}", response_model=ItemOut)
async def update_item(
    flash_session_id: SessionId,
    flash_item_id: ItemId,
    body: ItemPatch,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Change an item's price, limit or flash stock before the session starts; more stock is
    taken from regular stock, less is given back."""
    return await _update_item(session, Owner.of(scope), flash_session_id, flash_item_id, body)


@merchant.delete(
    "/{flash_session_id}/items/{flash_item_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_item(
    flash_session_id: SessionId,
    flash_item_id: ItemId,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Take an item out before the session starts; its flash stock goes back."""
    await service.remove_item(session, Owner.of(scope), flash_session_id, flash_item_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@merchant.get("/{flash_session_id}/figures", response_model=SessionFigures)
async def session_figures(
    flash_session_id: SessionId, session: DbSession, scope: StoreScope = Reader
):
    """Attempts, accepted, released, sold units, paid orders and GMV, per item and in all."""
    return await _figures(session, Owner.of(scope), flash_session_id)


# Platform operators: mall-wide sessions with items of any store


@platform.post(
    "", status_code=status.HTTP_201_CREATED, response_model=SessionOut, description=_CREATE_DOC
)
async def create_platform_session(body: SessionIn, operator: CurrentOperator, session: DbSession):
    return await _create(session, Owner.platform(operator.id), body)


@platform.get("", response_model=Page[SessionOut])
async def list_platform_sessions(
    operator: CurrentOperator,
    session: DbSession,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The platform's (mall-wide) sessions, newest first."""
    return await _list(session, Owner.platform(operator.id), cursor, limit)


@platform.get("/{flash_session_id}", response_model=SessionOut)
async def get_platform_session(
    flash_session_id: SessionId, operator: CurrentOperator, session: DbSession
):
    """One platform session with its items."""
    return await _get(session, Owner.platform(operator.id), flash_session_id)


@platform.post("/{flash_session_id}/stop", response_model=SessionOut)
async def stop_platform_session(
    flash_session_id: SessionId, operator: CurrentOperator, session: DbSession
):
    """End a platform session now; unsold units go back to each store's regular stock. (A
    platform session's window is not edited: stop it and schedule another.)"""
    return await _stop(session, Owner.platform(operator.id), flash_session_id)


@platform.post("/{flash_session_id}/copies", response_model=list[SessionOut])
async def copy_platform_session(
    flash_session_id: SessionId, body: CopyIn, operator: CurrentOperator, session: DbSession
):
    """Repeat a platform session with its items on the next `days` days."""
    return await _copy(session, Owner.platform(operator.id), flash_session_id, body)


@platform.post(
    "/{flash_session_id}/items",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemOut,
    description=_PLATFORM_ITEM_DOC,
)
async def add_platform_item(
    flash_session_id: SessionId, body: ItemIn, operator: CurrentOperator, session: DbSession
):
    return await _add_item(session, Owner.platform(operator.id), flash_session_id, body)


@platform.patch("/{flash_session_id}/items/{flash_item_id}", response_model=ItemOut)
async def update_platform_item(
    flash_session_id: SessionId,
    flash_item_id: ItemId,
    body: ItemPatch,
    operator: CurrentOperator,
    session: DbSession,
):
    """Change an item of a platform session before it starts."""
    owner = Owner.platform(operator.id)
    return await _update_item(session, owner, flash_session_id, flash_item_id, body)


@platform.delete(
    "/{flash_session_id}/items/{flash_item_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_platform_item(
    flash_session_id: SessionId,
    flash_item_id: ItemId,
    operator: CurrentOperator,
    session: DbSession,
):
    """Take an item out of a platform session before it starts."""
    owner = Owner.platform(operator.id)
    await service.remove_item(session, owner, flash_session_id, flash_item_id, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@platform.get("/{flash_session_id}/figures", response_model=SessionFigures)
async def platform_session_figures(
    flash_session_id: SessionId, operator: CurrentOperator, session: DbSession
):
    """A platform session's figures."""
    return await _figures(session, Owner.platform(operator.id), flash_session_id)


# Everyone


@shop.get("/flash-sessions", response_model=list[ShopSessionOut])
@cached_response()
async def showing_sessions(
    session: DbSession,
    store_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this store's items.")
    ] = None,
):
    """Sessions running now (first), then those starting within two days, with their items:
    flash and regular price, per-shopper limit, sold percentage and state (`upcoming`,
    `live`, `sold_out`, `over`). Times are absolute: count down on the client."""
    return await views.shop_sessions(session, utcnow(), store_id=store_id)


# The shopper


async def serve_attempt(request: Request) -> Response:
    """:func:`attempt`, its parameters read straight off the request (a :class:`DirectRoute`)
    with the checks FastAPI makes for its signature, in its order: the body's JSON, who is
    calling, then every parameter at once."""
    raw = await request_json(request)
    user_id = await user_id_of(request)
    parts = RequestParts()
    item_id = parts.value("path", "flash_item_id", _ITEM_ID, request.path_params["flash_item_id"])
    key = parts.value("header", "Idempotency-Key", _KEY, request.headers.get("idempotency-key"))
    body = parts.body(AttemptIn, raw)
    parts.check()
    try:
        answer = await attempt(item_id, body, user_id, get_runtime(request), key)
    except Refused as refused:  # most attempts at a peak: answered here, not raised further
        return error_response(refused)
    return Response(answer.model_dump_json(), status_code=201, media_type="application/json")


@me.post(
    "/flash-items/{flash_item_id}/attempts",
    status_code=status.HTTP_201_CREATED,
    response_model=AttemptOut,
    responses={
        409: {
            "description": "Refused, with its code: `sold_out`, `limit_reached`, "
            "`not_started`, `ended` (or `attempt_in_progress` for a token being placed); "
            "or the order could not be placed (e.g. the store does not deliver there)."
        }
    },
)
@raises(Refused, InvalidInput)
@served_directly(serve_attempt)
async def attempt(
    flash_item_id: ItemId,
    body: AttemptIn,
    user_id: CurrentUserId,
    runtime: RuntimeDep,
    key: AttemptKey = None,
) -> AttemptOut:
    """抢购: one attempt at a flash item. Accepted, it is one order at the flash price for
    the address given, in "my orders" at once, to pay within the session's payment window
    (unpaid, it expires and the unit goes back). A repeat with the same `Idempotency-Key` (or
    `token`) gets the first attempt's answer (`repeated`: true), never a second unit."""
    return await attempts.attempt(runtime, user_id, flash_item_id, body, key, utcnow())
