"""Promoting and buying through the API: visits through a promoter's share link, orders and
refunds, as the pool's figures and recommendations count them."""

from __future__ import annotations

from dataclasses import dataclass

from tests.affiliates.conftest import Pool
from tests.support import Headers, expect
from weshop.affiliates import links
from weshop.affiliates import repository as affiliates_repo
from weshop.affiliates.clicks import Visit
from weshop.affiliates.models import ClickChannel


@dataclass
class Shopper:
    headers: Headers
    user_id: int
    address_id: int


async def shopper(pool: Pool) -> Shopper:
    headers, address_id = await pool.api.buyer()
    me = expect(await pool.client.get("/api/v1/me", headers=headers), 200)
    return Shopper(headers, me["id"], address_id)


async def visit(pool: Pool, promoter: dict, who: Shopper, product_id: int) -> None:
    """``who`` follows ``promoter``'s share link to the product, signed in."""
    async with pool.api.runtime.db.transaction() as session:
        record = await affiliates_repo.promoter(session, promoter["id"])
        assert record is not None
        link = await links.share_link(
            session, record, links.Target(links.TargetKind.PRODUCT, product_id)
        )
        followed = await links.follow(
            session, link.code, ClickChannel.LINK, Visit(who.user_id, None)
        )
        assert followed is not None and followed.click_id is not None


async def buy(pool: Pool, who: Shopper, sku_id: int, quantity: int, *, pay: bool = True) -> dict:
    """An order of ``quantity`` units of one SKU, paid at the sandbox cashier unless told."""
    placed = expect(
        await pool.api.place_order(who.headers, who.address_id, [(sku_id, quantity)]), 201
    )
    order = placed["orders"][0]
    if pay:
        await pool.api.confirm_in_cashier(await pool.api.start_payment(who.headers, order["id"]))
    return await pool.api.order(who.headers, order["id"])


async def refund_first_line(pool: Pool, order: dict, amount_fen: int) -> None:
    line = order["lines"][0]
    expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{order['store_id']}/orders/{order['id']}/refunds",
            json={"lines": [{"order_line_id": line["id"], "amount_fen": amount_fen}]},
            headers=pool.owner,
        ),
        201,
    )


async def category(pool: Pool, store_id: int, owner: Headers, name: str) -> int:
    created = expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{store_id}/categories", json={"name": name}, headers=owner
        ),
        201,
    )
    return created["id"]


async def pooled_product(
    pool: Pool,
    title: str,
    price_fen: int,
    rate_bps: int,
    *,
    store: tuple[int, Headers] | None = None,
    category_id: int | None = None,
) -> dict:
    """A one-SKU product of the pool's store (or ``store``: its id and owner), listed at
    ``rate_bps`` and approved into the pool: the product."""
    store_id, owner = store or (pool.store_id, pool.owner)
    product = await pool.api.create_product(
        store_id, owner, title=title, price_fen=price_fen, stock=50, category_id=category_id
    )
    listing = expect(
        await pool.client.post(
            f"/api/v1/merchant/stores/{store_id}/affiliate-listings",
            json={"product_id": product["id"], "rate_bps": rate_bps},
            headers=owner,
        ),
        201,
    )
    expect(await pool.review(listing["id"], "approve"), 200)
    return product


async def share_code(pool: Pool, promoter: dict, **target: int) -> str:
    """The promoter's share link to ``product_id=`` or ``store_id=``: its code."""
    async with pool.api.runtime.db.transaction() as session:
        record = await affiliates_repo.promoter(session, promoter["id"])
        assert record is not None
        ((field, target_id),) = target.items()
        target_of = links.Target(links.TARGET_FIELDS[field], target_id)
        return (await links.share_link(session, record, target_of)).code
