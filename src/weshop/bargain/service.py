"""Bargains for shoppers: start one, help a friend's, and the bargain's life after that
(expiry by outbox deadline; bought or given back by its order's events, see ``buying``).

A help is one conditional UPDATE of the bargain row (``repository.apply_cut``): against the
version read, ``counted_helps < helps_needed`` and a price that stays at or above the floor.
A help that loses the race to another reads the bargain again and computes its cut from what
is left; so 50 concurrent helps on a bargain needing 10 count exactly 10 and end exactly on
the floor, on SQLite (writers take turns) and PostgreSQL (READ COMMITTED: the loser's UPDATE
re-checks the row and finds the version moved) alike. The help row is unique per
(bargain, helper), so the same friend racing twice helps once.

Both shopper actions are safe to repeat (a network retry, a double tap) without an
``Idempotency-Key``, because each has one natural answer: a shopper has at most one open
bargain per campaign, so starting again answers that bargain; a friend helps a bargain at
most once, so helping again answers that first help. Neither repeat writes anything.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.bargain import repository as repo
from weshop.bargain.announcements import BargainFloorReached
from weshop.bargain.campaigns import phase
from weshop.bargain.cuts import cut_for, helps_needed
from weshop.bargain.models import (
    Bargain,
    BargainCampaign,
    BargainHelp,
    BargainState,
    CampaignStatus,
    NotCounted,
)
from weshop.bargain.state import BARGAIN_MACHINE
from weshop.core.errors import Conflict, NotFound
from weshop.core.events import announce
from weshop.core.outbox import emit

EXPIRE = "bargain.expire"
CHINA = timezone(timedelta(hours=8))
# A help that keeps losing the race gives up after this many reads (each loss means another
# help counted, so at most K losses can happen before the bargain reaches its floor).
MAX_HELP_ROUNDS = 200


@dataclass(frozen=True)
class Started:
    """The shopper's bargain of the campaign; ``created`` False when it was already going."""

    bargain: Bargain
    created: bool


@dataclass(frozen=True)
class Helped:
    """The helper's help of the bargain; ``created`` False when it was given before."""

    help: BargainHelp
    created: bool


@dataclass(frozen=True)
class Client:
    """Where a request came from: its network address and the device id it sent, if any."""

    ip: str = ""
    device: str = ""


def ensure_campaign_open(campaign: BargainCampaign, now: datetime) -> None:
    current = phase(campaign, now)
    if current == "stopped":
        raise Conflict("this bargain campaign has been stopped", code="campaign_stopped")
    if current == "scheduled":
        raise Conflict("this bargain campaign has not started yet", code="campaign_not_started")
    if current == "ended":
        raise Conflict("this bargain campaign has ended", code="campaign_ended")


async def live_campaign(session: AsyncSession, campaign_id: int) -> BargainCampaign:
    """A campaign of an open store whose product is on sale; otherwise 404."""
    campaign = await repo.any_campaign(session, campaign_id)
    if campaign is None or not await repo.on_sale_in_open_store(
        session, campaign.store_id, campaign.product_id
    ):
        raise NotFound("no such bargain campaign")
    return campaign


async def start_bargain(
    session: AsyncSession, user: User, campaign_id: int, client: Client, now: datetime
) -> Started:
    """Start a bargain at the campaign's start price, with its own K and secret seed, and
    queue its expiry; or, when the shopper has one of the campaign going, answer that one
    (a repeated start writes nothing). 409: campaign_stopped / _not_started / _ended,
    sold_out, limit_reached."""
    campaign = await live_campaign(session, campaign_id)
    await repo.hold_shopper_counter(session, campaign.id, user.id)
    existing = await repo.open_bargain(session, campaign.id, user.id)
    if existing is not None and existing.expires_at > now:
        return Started(existing, created=False)
    ensure_campaign_open(campaign, now)
    if await repo.shopper_units(session, campaign.id, user.id) >= campaign.per_shopper_limit:
        raise Conflict(
            f"at most {campaign.per_shopper_limit} of this bargain per shopper",
            code="limit_reached",
        )
    await session.refresh(campaign)
    if campaign.sold >= campaign.stock:
        raise Conflict("this bargain is sold out", code="sold_out")
    seed = secrets.randbits(62)
    expires_at = min(now + timedelta(hours=campaign.window_hours), campaign.ends_at)
    bargain = Bargain(
        campaign_id=campaign.id,
        store_id=campaign.store_id,
        user_id=user.id,
        sku_id=campaign.sku_id,
        seed=seed,
        helps_needed=helps_needed(seed, campaign.helps_min, campaign.helps_max),
        start_price_fen=campaign.start_price_fen,
        floor_price_fen=campaign.floor_price_fen,
        current_price_fen=campaign.start_price_fen,
        counted_helps=0,
        shared_helps_counted=0,
        recorded_helps=0,
        version=0,
        status=BargainState.IN_PROGRESS,
        expires_at=expires_at,
        starter_ip=client.ip[:45],
        starter_device=client.device[:64],
        created_at=now,
        updated_at=now,
    )
    session.add(bargain)
    await session.flush()
    emit(
        session,
        EXPIRE,
        {"bargain_id": bargain.id},
        due_at=expires_at,
        store_id=bargain.store_id,
        dedupe_key=f"bargain-expire:{bargain.id}",
    )
    return Started(bargain, created=True)


def _refuse_closed(bargain: Bargain, now: datetime) -> None:
    if bargain.status == BargainState.EXPIRED or bargain.expires_at <= now:
        raise Conflict("this bargain has expired", code="bargain_expired")
    if bargain.status != BargainState.IN_PROGRESS:
        raise Conflict(
            "this bargain needs no more help",
            code="bargain_complete",
            details={"status": str(bargain.status)},
        )


def shared_reason(bargain: Bargain, client: Client) -> NotCounted | None:
    if client.device and client.device == bargain.starter_device:
        return NotCounted.SHARED_DEVICE
    if client.ip and client.ip == bargain.starter_ip:
        return NotCounted.SHARED_IP
    return None


async def _check_helper(
    session: AsyncSession, campaign: BargainCampaign, bargain: Bargain, helper: User, now: datetime
) -> None:
    if helper.id == bargain.user_id:
        raise Conflict("you cannot help your own bargain", code="self_help")
    if campaign.new_users_only_helps and (
        helper.created_at < bargain.created_at
        or await repo.has_order_before(session, helper.id, now)
    ):
        raise Conflict("only new users may help this bargain", code="new_users_only")


async def help_bargain(
    session: AsyncSession, helper: User, bargain_id: int, client: Client, now: datetime
) -> Helped:
    """One friend's help; a friend who helped this bargain before gets that help back, and
    nothing is written (whatever the bargain's state now). 409: self_help,
    daily_cap_reached, new_users_only, bargain_complete, bargain_expired, campaign_stopped.
    A helper sharing the starter's device or IP beyond the campaign's ``max_shared_helps`` is
    recorded with the reason, not counted."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None:
        raise NotFound("no such bargain")
    given = await repo.help_by(session, bargain.id, helper.id)
    if given is not None:
        return Helped(given, created=False)
    campaign = await repo.any_campaign(session, bargain.campaign_id)
    assert campaign is not None
    await _check_helper(session, campaign, bargain, helper, now)
    if campaign.status == CampaignStatus.STOPPED:
        raise Conflict("this bargain campaign has been stopped", code="campaign_stopped")
    _refuse_closed(bargain, now)
    help_row = BargainHelp(
        bargain_id=bargain.id,
        store_id=bargain.store_id,
        helper_id=helper.id,
        cut_fen=0,
        counted=False,
        reason="",
        ip=client.ip[:45],
        device_id=client.device[:64],
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(help_row)
            await session.flush()
    except IntegrityError:
        # The same helper's concurrent request (a retry) inserted first and committed.
        given = await repo.help_by(session, bargain.id, helper.id)
        if given is None:
            raise
        return Helped(given, created=False)
    day = now.astimezone(CHINA).date()
    if not await repo.take_helper_slot(
        session, campaign.id, helper.id, day, campaign.helper_daily_cap
    ):
        raise Conflict(
            f"at most {campaign.helper_daily_cap} helps a day in this campaign",
            code="daily_cap_reached",
        )
    reason = shared_reason(bargain, client)
    for _ in range(MAX_HELP_ROUNDS):
        if reason is not None and bargain.shared_helps_counted >= campaign.max_shared_helps:
            help_row.reason = reason.value
            await repo.record_uncounted(session, bargain.id, now)
            break
        _refuse_closed(bargain, now)
        index = bargain.counted_helps
        cut = cut_for(
            bargain.current_price_fen - bargain.floor_price_fen,
            bargain.helps_needed - index,
            bargain.seed,
            index,
        )
        if await repo.apply_cut(session, bargain, cut, shared=reason is not None, now=now):
            help_row.counted, help_row.cut_fen = True, cut
            break
        reread = await repo.bargain(session, bargain.id)
        assert reread is not None
        bargain = reread
    else:
        raise Conflict("too many helps at once: try again", code="busy")
    await session.flush()
    await session.refresh(bargain)
    if help_row.counted and bargain.status == BargainState.REACHED_FLOOR:
        # This help's own compare-and-set moved it there: the row stays locked by it
        # (PostgreSQL) or the write lock is held (SQLite) until commit, so no other help
        # can have done it.
        await announce(
            session,
            BargainFloorReached(
                bargain.id,
                bargain.store_id,
                bargain.user_id,
                bargain.sku_id,
                bargain.floor_price_fen,
                now,
            ),
        )
    return Helped(help_row, created=True)


async def expire(session: AsyncSession, bargain_id: int, now: datetime) -> None:
    """The bargain's window ended: expire it unless an order holds it (the order decides
    then). Idempotent: a repeat, or a bargain bought meanwhile, changes nothing."""
    bargain = await repo.bargain(session, bargain_id)
    if bargain is None or bargain.expires_at > now:
        return
    if bargain.status in (BargainState.IN_PROGRESS, BargainState.REACHED_FLOOR):
        await BARGAIN_MACHINE.apply(session, bargain, "expire", updated_at=now)
