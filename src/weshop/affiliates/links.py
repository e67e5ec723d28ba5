"""Share links: a promoter's short link to a pool product or to a store, and what following
one does (records the click, then sends the visitor to the page)."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.clicks import Visit, record_click
from weshop.affiliates.models import ClickChannel, Promoter, ShareLink
from weshop.affiliates.promoters import CODE_ALPHABET
from weshop.bargain.models import Bargain, BargainCampaign
from weshop.catalog.models import Product
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound
from weshop.flashsale.models import FlashItem
from weshop.groupbuy.models import Group
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


class TargetKind(enum.StrEnum):
    """What a share link opens, and the channel its clicks count under by default."""

    PRODUCT = "product"
    STORE = "store"
    GROUP = "group"  # a group buy's group, to be joined
    BARGAIN = "bargain"  # a shopper's bargain, to be helped
    FLASH = "flash"  # a flash-sale item


# The field of a share-link request that names each kind of target.
TARGET_FIELDS = {
    "product_id": TargetKind.PRODUCT,
    "store_id": TargetKind.STORE,
    "group_id": TargetKind.GROUP,
    "bargain_id": TargetKind.BARGAIN,
    "flash_item_id": TargetKind.FLASH,
}
_PATHS = {
    TargetKind.PRODUCT: "/p/{}",
    TargetKind.STORE: "/s/{}",
    TargetKind.GROUP: "/g/{}",
    TargetKind.BARGAIN: "/bargain/{}",
    TargetKind.FLASH: "/flash/items/{}",
}
_CHANNELS = {
    TargetKind.PRODUCT: ClickChannel.LINK,
    TargetKind.STORE: ClickChannel.LINK,
    TargetKind.GROUP: ClickChannel.GROUP,
    TargetKind.BARGAIN: ClickChannel.BARGAIN,
    TargetKind.FLASH: ClickChannel.FLASH,
}


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: int

    @classmethod
    def of(cls, share_link: ShareLink) -> Target:
        kind, _, target_id = share_link.target.partition(":")
        return cls(TargetKind(kind), int(target_id))

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"


def target_path(target: Target) -> str:
    """The storefront page of a target."""
    return _PATHS[target.kind].format(target.id)


def link_path(share_link: ShareLink) -> str:
    """The page a link opens."""
    return target_path(Target.of(share_link))


def natural_channel(share_link: ShareLink) -> ClickChannel:
    """The channel a click counts under when the link does not say (a poster's does)."""
    return _CHANNELS[Target.of(share_link).kind]


def short_path(code: str) -> str:
    """The link's own address on this installation (``/r/<code>``)."""
    return f"/r/{code}"


async def store_and_product(session: AsyncSession, target: Target) -> tuple[int, int | None]:
    """The store and product a target belongs to; NotFound for none."""
    if target.kind == TargetKind.STORE:
        store = await session.get(Store, target.id)
        if store is None or store.status != StoreStatus.ACTIVE:
            raise NotFound("no such store")
        return store.id, None
    model = {
        TargetKind.PRODUCT: Product,
        TargetKind.GROUP: Group,
        TargetKind.BARGAIN: Bargain,
        TargetKind.FLASH: FlashItem,
    }[target.kind]
    row = await session.get(model, target.id)
    if row is None:
        raise NotFound(f"no such {target.kind.value}")
    if isinstance(row, Product):
        return row.store_id, row.id
    if isinstance(row, Bargain):
        campaign = await session.get_one(BargainCampaign, row.campaign_id)
        return campaign.store_id, campaign.product_id
    return row.store_id, row.product_id


async def share_link(session: AsyncSession, promoter: Promoter, target: Target) -> ShareLink:
    """The promoter's link to a target: a product of the pool they may promote now, an open
    store, or a group, bargain or flash-sale item of a pool product. The same target always
    gives the same link."""
    store_id, product_id = await store_and_product(session, target)
    if product_id is not None and not await repo.in_pool_for(
        session, promoter.id, product_id, utcnow()
    ):
        raise NotInPool("this product is not in the pool open to you")
    existing = await _existing(session, promoter.id, target)
    if existing is not None:
        return existing
    for _ in range(LINK_CODE_ATTEMPTS):
        link = ShareLink(
            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(LINK_CODE_LENGTH)),
            promoter_id=promoter.id,
            store_id=store_id,
            product_id=product_id,
            target=target.key,
        )
        try:
            async with session.begin_nested():
                session.add(link)
        except IntegrityError:
            # The same target made at the same moment by another request, or a code drawn
            # twice: the first case finds its link, the second draws again.
            existing = await _existing(session, promoter.id, target)
            if existing is not None:
                return existing
            continue
        return link
    raise RuntimeError("could not draw a free link code")


async def _existing(session: AsyncSession, promoter_id: int, target: Target) -> ShareLink | None:
    return await session.scalar(
        select(ShareLink).where(
            ShareLink.promoter_id == promoter_id, ShareLink.target == target.key
        )
    )


async def follow(
    session: AsyncSession, code: str, channel: ClickChannel | None, visit: Visit
) -> Followed | None:
    """Record a visit through the link ``code`` and say where it goes; None for no such
    link. ``channel`` None: the link's own (a group's link counts as ``group``)."""
    found = (
        await session.execute(
            select(ShareLink, Promoter)
            .join(Promoter, Promoter.id == ShareLink.promoter_id)
            .where(ShareLink.code == code)
        )
    ).first()
    if found is None:
        return None
    link, promoter = found
    click_id = await record_click(
        session,
        promoter,
        link.store_id,
        link.product_id,
        channel or natural_channel(link),
        visit,
        share_link_id=link.id,
    )
    return Followed(link_path(link), click_id)
