"""The read side of bargaining: answers built from rows, for the API and the pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.accounts.schemas import masked_phone_or_wechat_name
from weshop.bargain import repository as repo
from weshop.bargain.campaigns import phase
from weshop.bargain.models import Bargain, BargainCampaign, BargainHelp, BargainState
from weshop.bargain.schemas import (
    BargainOut,
    CampaignOut,
    HelpOut,
    MerchantBargainOut,
    MerchantHelpOut,
    ShopCampaignOut,
)
from weshop.core.crypto import mask_name
from weshop.core.errors import NotFound
from weshop.core.pagination import paginate
from weshop.media.models import MediaAsset


def masked_user(user: User | None) -> str:
    if user is None:
        return "***"
    if user.display_name:
        return mask_name(user.display_name)
    return masked_phone_or_wechat_name(user.phone)


def campaign_out(campaign: BargainCampaign, now: datetime) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        store_id=campaign.store_id,
        product_id=campaign.product_id,
        sku_id=campaign.sku_id,
        name=campaign.name,
        start_price_fen=campaign.start_price_fen,
        floor_price_fen=campaign.floor_price_fen,
        helps_min=campaign.helps_min,
        helps_max=campaign.helps_max,
        window_hours=campaign.window_hours,
        stock=campaign.stock,
        sold=campaign.sold,
        per_shopper_limit=campaign.per_shopper_limit,
        buy_before_floor=campaign.buy_before_floor,
        new_users_only_helps=campaign.new_users_only_helps,
        helper_daily_cap=campaign.helper_daily_cap,
        max_shared_helps=campaign.max_shared_helps,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        status=campaign.status,
        phase=phase(campaign, now),
        created_at=campaign.created_at,
        updated_at=campaign.updated_at,
    )


async def shop_campaigns(
    session: AsyncSession, product_id: int, user: User | None, now: datetime
) -> list[ShopCampaignOut]:
    """The product's bargain campaigns running or coming, with the visitor's open bargain."""
    campaigns = await repo.live_campaigns_of_product(session, product_id, now)
    if not campaigns or not await repo.on_sale_in_open_store(
        session, campaigns[0].store_id, product_id
    ):
        return []
    answers = []
    for campaign in campaigns:
        sku, _ = await repo.sku_and_product(session, campaign.sku_id)
        mine = await repo.open_bargain(session, campaign.id, user.id) if user else None
        answers.append(
            ShopCampaignOut(
                id=campaign.id,
                store_id=campaign.store_id,
                product_id=campaign.product_id,
                sku_id=campaign.sku_id,
                name=campaign.name,
                spec_text=sku.spec_text,
                start_price_fen=campaign.start_price_fen,
                floor_price_fen=campaign.floor_price_fen,
                helps_min=campaign.helps_min,
                helps_max=campaign.helps_max,
                window_hours=campaign.window_hours,
                stock_left=max(0, campaign.stock - campaign.sold),
                buy_before_floor=campaign.buy_before_floor,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                phase=phase(campaign, now),
                my_bargain_id=mine.id if mine and mine.expires_at > now else None,
            )
        )
    return answers


def shown_status(bargain: Bargain, now: datetime) -> BargainState:
    """Expired as soon as the window passes, before the deadline's handler runs."""
    if bargain.expires_at <= now and bargain.status in (
        BargainState.IN_PROGRESS,
        BargainState.REACHED_FLOOR,
    ):
        return BargainState.EXPIRED
    return bargain.status


def can_buy(bargain: Bargain, campaign: BargainCampaign, now: datetime) -> bool:
    status = shown_status(bargain, now)
    if phase(campaign, now) == "stopped" or campaign.sold >= campaign.stock:
        return False
    return status == BargainState.REACHED_FLOOR or (
        status == BargainState.IN_PROGRESS and campaign.buy_before_floor
    )


async def bargain_out(
    session: AsyncSession,
    bargain_id: int,
    viewer: User | None,
    now: datetime,
    *,
    starter_only: bool = False,
) -> BargainOut:
    """A bargain as anyone with its link sees it (a bargain of a closed store: 404); with
    ``starter_only``, only its starter finds it."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or (starter_only and (viewer is None or viewer.id != bargain.user_id)):
        raise NotFound("no such bargain")
    campaign = await repo.any_campaign(session, bargain.campaign_id)
    assert campaign is not None
    if not await repo.on_sale_in_open_store(session, campaign.store_id, campaign.product_id):
        raise NotFound("no such bargain")
    sku, product = await repo.sku_and_product(session, bargain.sku_id)
    cover = None
    for image_id in product.image_ids[:1]:
        asset = await session.get(MediaAsset, image_id)
        cover = asset.url if asset is not None else None
    recorded = await repo.helps_of(session, [bargain.id])
    helps = [h for h in recorded if h.counted]
    mine = next((h for h in recorded if viewer is not None and h.helper_id == viewer.id), None)
    users = await repo.users_by_id(session, [bargain.user_id, *(h.helper_id for h in recorded)])
    starter = viewer is not None and viewer.id == bargain.user_id
    return BargainOut(
        id=bargain.id,
        campaign_id=bargain.campaign_id,
        store_id=bargain.store_id,
        product_id=product.id,
        sku_id=sku.id,
        title=product.title,
        spec_text=sku.spec_text,
        image_url=cover,
        starter=masked_user(users.get(bargain.user_id)),
        start_price_fen=bargain.start_price_fen,
        floor_price_fen=bargain.floor_price_fen,
        current_price_fen=bargain.current_price_fen,
        cut_fen=bargain.start_price_fen - bargain.current_price_fen,
        remaining_fen=bargain.current_price_fen - bargain.floor_price_fen,
        helps_needed=bargain.helps_needed,
        counted_helps=bargain.counted_helps,
        status=shown_status(bargain, now),
        expires_at=bargain.expires_at,
        can_buy=starter and can_buy(bargain, campaign, now),
        order_id=bargain.order_id if starter else None,
        helps=[_help_out(h, users) for h in reversed(helps)],
        your_help=_help_out(mine, users) if mine else None,
    )


def _help_out(row: BargainHelp, users: dict[int, User]) -> HelpOut:
    return HelpOut(
        helper=masked_user(users.get(row.helper_id)), cut_fen=row.cut_fen, created_at=row.created_at
    )


async def merchant_bargains(
    session: AsyncSession, bargains: Sequence[Bargain], now: datetime
) -> list[MerchantBargainOut]:
    helps = await repo.helps_of(session, [b.id for b in bargains])
    users = await repo.users_by_id(
        session, [b.user_id for b in bargains] + [h.helper_id for h in helps]
    )
    by_bargain: dict[int, list[BargainHelp]] = {}
    for row in helps:
        by_bargain.setdefault(row.bargain_id, []).append(row)
    return [
        MerchantBargainOut(
            id=b.id,
            campaign_id=b.campaign_id,
            starter=masked_user(users.get(b.user_id)),
            start_price_fen=b.start_price_fen,
            floor_price_fen=b.floor_price_fen,
            current_price_fen=b.current_price_fen,
            helps_needed=b.helps_needed,
            counted_helps=b.counted_helps,
            recorded_helps=b.recorded_helps,
            status=shown_status(b, now),
            expires_at=b.expires_at,
            order_id=b.order_id,
            created_at=b.created_at,
            helps=[
                MerchantHelpOut(
                    helper=masked_user(users.get(h.helper_id)),
                    cut_fen=h.cut_fen,
                    counted=h.counted,
                    reason=h.reason,
                    created_at=h.created_at,
                )
                for h in by_bargain.get(b.id, [])
            ],
        )
        for b in bargains
    ]


async def my_bargains(
    session: AsyncSession, user: User, cursor: str | None, limit: int, now: datetime
) -> tuple[list[Bargain], list[BargainOut]]:
    """The shopper's bargains, newest first (``limit + 1`` rows, the answers of ``limit``).
    A bargain whose product is off sale or store closed is left out, as its page is."""
    rows = list(
        await session.scalars(paginate(repo.my_bargains_query(user.id), Bargain, cursor, limit))
    )
    answers = []
    for row in rows[:limit]:
        try:
            answers.append(await bargain_out(session, row.id, user, now, starter_only=True))
        except NotFound:
            continue
    return rows, answers
