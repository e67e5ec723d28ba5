"""The link a visitor's share card carries: the page's own address, or a promoter's share
link (``/r/<code>``) when the visitor is a promoter who may promote the page, or came
through a promoter's link to the page's store within the binding window. So a card shared
onwards keeps earning for the promoter who brought the visitor.

Pages are the same for every visitor (the response cache keeps them), so this is asked by
the page's script, per visitor, never put in the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import links
from weshop.affiliates import repository as affiliates_repo
from weshop.affiliates.links import Target
from weshop.affiliates.models import Click, Promoter, PromoterStatus, ShareLink
from weshop.affiliates.promoters import current_policy
from weshop.core.errors import WeShopError


@dataclass(frozen=True)
class SharedLink:
    path: str  # on this installation
    promoter_code: str | None
    link_code: str | None


async def _promoter_link(
    session: AsyncSession, promoter: Promoter, target: Target
) -> ShareLink | None:
    """The promoter's link to ``target`` (made the first time), or None when they may not
    promote it (a product outside their pool, a closed store, no such target)."""
    try:
        async with session.begin_nested():
            return await links.share_link(session, promoter, target)
    except WeShopError:
        return None


async def _referring_promoter(
    session: AsyncSession,
    store_id: int,
    user_id: int | None,
    visitor_id: str | None,
    now: datetime,
) -> Promoter | None:
    """The approved promoter of the visitor's latest click on the store, within the policy's
    binding window."""
    who = []
    if user_id is not None:
        who.append(Click.user_id == user_id)
    if visitor_id is not None:
        who.append(Click.visitor_id == visitor_id)
    if not who:
        return None
    window = timedelta(days=(await current_policy(session)).binding_window_days)
    return await session.scalar(
        select(Promoter)
        .join(Click, Click.promoter_id == Promoter.id)
        .where(
            or_(*who),
            Click.store_id == store_id,
            Click.at > now - window,
            Promoter.status == PromoterStatus.APPROVED,
        )
        .order_by(Click.at.desc(), Click.id.desc())
        .limit(1)
    )


async def shared_link(
    session: AsyncSession,
    target: Target,
    user_id: int | None,
    visitor_id: str | None,
    now: datetime,
) -> SharedLink:
    """What the visitor's share card of ``target`` links to (see the module)."""
    page = links.target_path(target)
    store_id, _ = await links.store_and_product(session, target)
    promoter = None
    if user_id is not None:
        own = await affiliates_repo.promoter_of_user(session, user_id)
        if own is not None and own.status == PromoterStatus.APPROVED:
            promoter = own
    link = await _promoter_link(session, promoter, target) if promoter else None
    if link is None:
        promoter = await _referring_promoter(session, store_id, user_id, visitor_id, now)
        link = await _promoter_link(session, promoter, target) if promoter else None
    if link is None or promoter is None:
        return SharedLink(page, None, None)
    return SharedLink(links.short_path(link.code), promoter.code, link.code)
