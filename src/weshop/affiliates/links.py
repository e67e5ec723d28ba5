"""Share links: a promoter's short link to a pool product or to a store, and what following
one does (records the click, then sends the visitor to the page)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.clicks import Visit, record_click
from weshop.affiliates.models import ClickChannel, Promoter, ShareLink
from weshop.affiliates.promoters import CODE_ALPHABET
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound
from weshop.stores.models import Store, StoreStatus

LINK_CODE_LENGTH = 10
LINK_CODE_ATTEMPTS = 5


class NotInPool(InvalidInput):
    """A share link asked for a product the promoter may not promote now."""

    code = "not_in_pool"


@dataclass(frozen=True)
class Followed:
    """Where a followed link sends the visitor, and the click it recorded (None when nothing
    was recorded: the promoter is no longer approved, or the visitor cannot be told)."""

    path: str
    click_id: int | None


def link_path(share_link: ShareLink) -> str:
    """The page a link opens."""
    if share_link.product_id is not None:
        return f"/p/{share_link.product_id}"
    return f"/s/{share_link.store_id}"


def short_path(code: str) -> str:
    """The link's own address on this installation (``/r/<code>``)."""
    return f"/r/{code}"


async def share_link(
    session: AsyncSession,
    promoter: Promoter,
    *,
    product_id: int | None = None,
    store_id: int | None = None,
) -> ShareLink:
    """The promoter's link to a product of the pool they may promote now, or to an open
    store; the same target gives the same link."""
    if (product_id is None) == (store_id is None):
        raise InvalidInput("name a product_id or a store_id", code="invalid_input")
    if product_id is not None and not await repo.in_pool_for(
        session, promoter.id, product_id, utcnow()
    ):
        raise NotInPool("this product is not in the pool open to you")
    target = f"product:{product_id}" if product_id is not None else f"store:{store_id}"
    existing = await session.scalar(
        select(ShareLink).where(ShareLink.promoter_id == promoter.id, ShareLink.target == target)
    )
    if existing is not None:
        return existing
    if product_id is not None:
        found = await repo.products(session, [product_id])
        store_of_target = found[product_id].store_id
    else:
        assert store_id is not None
        store = await session.get(Store, store_id)
        if store is None or store.status != StoreStatus.ACTIVE:
            raise NotFound("no such store")
        store_of_target = store_id
    for _ in range(LINK_CODE_ATTEMPTS):
        link = ShareLink(
            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH)),
            promoter_id=promoter.id,
            store_id=store_of_target,
            product_id=product_id,
            target=target,
        )
        try:
            async with session.begin_nested():
                session.add(link)
        except IntegrityError:
            # The same target made at the same moment by another request, or a code drawn
            # twice: the first case finds its link, the second draws again.
            existing = await session.scalar(
                select(ShareLink).where(
                    ShareLink.promoter_id == promoter.id, ShareLink.target == target
                )
            )
            if existing is not None:
                return existing
            continue
        return link
    raise RuntimeError("could not draw a free link code")


async def follow(
    session: AsyncSession, code: str, channel: ClickChannel, visit: Visit
) -> Followed | None:
    """Record a visit through the link ``code`` and say where it goes; None for no such
    link."""
    link = await session.scalar(select(ShareLink).where(ShareLink.code == code))
    if link is None:
        return None
    promoter = await repo.promoter(session, link.promoter_id)
    assert promoter is not None
    click = await record_click(
        session,
        promoter,
        link.store_id,
        link.product_id,
        channel,
        visit,
        share_link_id=link.id,
    )
    return Followed(link_path(link), click.id if click else None)
