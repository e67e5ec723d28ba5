"""Opening and joining groups, and what payments and closed orders do to them.

A member takes a place only when its order is paid (:func:`on_paid`, in the payment's
transaction): one conditional UPDATE on the group row (``member_count < size`` while open)
decides, so the N-th paid member completes the group and an (N+1)-th payment never joins;
it gets the campaign's policy instead: a new group with that shopper as its leader, or a
refund at once (through the outbox: the payment has not finished selling its stock yet).

A group still open at its deadline fails (or, when the campaign says so, completes by its
simulated fill); each member's OWN order is then cancelled with a refund by one outbox
message per member (:data:`REFUND_MEMBER`, deduplicated on the member and its group), whose
handler runs in one transaction with the worker's mark: exactly once, also when the worker
dies.

Campaign stock and a shopper's units are taken when an order is placed and come back when
the order closes (unpaid, cancelled or refunded): :func:`on_closed`.

Stopping a campaign ends its groups at once as their deadlines would, and closes the unpaid
orders of its groups: :func:`end_groups_of_stopped`.

Row locks (PostgreSQL; SQLite runs one writer at a time) are taken in one order: the SKU's
stock, the product, the group, the campaign, the shopper's units. Placing an order takes
stock then campaign; a payment stock, product, then group; a cancellation stock, group,
campaign, units; a deadline or a stop groups (in id order), then the campaign. Placing a
member's order also inserts a row referring to the group, which takes the group row FOR KEY
SHARE: that lock does not conflict with the FOR NO KEY UPDATE of the payments, expiries and
stops that change the group, so a join waits on none of them and none of them on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.catalog.models import Product
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.events import announce
from weshop.core.outbox import emit
from weshop.groupbuy import repository as repo
from weshop.groupbuy import rules
from weshop.groupbuy.announcements import GroupCompleted, GroupFailed
from weshop.groupbuy.models import (
    CampaignStatus,
    FullGroupPolicy,
    Group,
    GroupCampaign,
    GroupMember,
    GroupState,
    MemberRole,
    MemberState,
)
from weshop.groupbuy.schemas import GroupOrderIn
from weshop.groupbuy.state import GROUP_MACHINE, MEMBER_MACHINE
from weshop.inventory.models import StockLevel
from weshop.orders import service as orders
from weshop.orders.campaigns import CampaignOffer, place_campaign_order
from weshop.orders.checkout import PlacedCheckout
from weshop.orders.models import CampaignKind, Order, OrderStatus

log = structlog.get_logger(__name__)

# A group's window to fill has ended: payload {"group_id"}.
GROUP_DEADLINE = "groupbuy.group_deadline"
# A group completed: its paid members' orders may ship. Payload {"group_id"}.
GROUP_COMPLETED = "groupbuy.group_completed"
# Cancel one member's own order (refunding it when paid): payload {"member_id", "group_id"}.
REFUND_MEMBER = "groupbuy.refund_member"

FAILED_REASON = "拼团未成团，自动退款"
FULL_REASON = "拼团已满员，自动退款"
STOPPED_REASON = "拼团活动已停止，自动退款"


def price_label(campaign: GroupCampaign) -> str:
    return f"{campaign.group_size}人拼团价"


# Opening and joining


def _ensure_live(campaign: GroupCampaign, now: datetime) -> None:
    if campaign.status == CampaignStatus.STOPPED:
        raise Conflict("this group buy has been stopped", code="campaign_stopped")
    if now < campaign.starts_at:
        raise Conflict("this group buy has not started yet", code="campaign_not_started")
    if now >= campaign.ends_at:
        raise Conflict("this group buy has ended", code="campaign_ended")


async def _price_of(
    session: AsyncSession, campaign: GroupCampaign, sku_id: int
) -> tuple[int, int | None]:
    found = await repo.price_of(session, campaign.id, sku_id)
    if found is not None:
        return found
    raise InvalidInput(
        "this SKU is not sold in this group buy", code="unknown_sku", details={"sku_id": sku_id}
    )


async def _take(session: AsyncSession, campaign: GroupCampaign, user: User, units: int) -> None:
    if not await repo.take_stock(session, campaign.id, units):
        raise Conflict("this group buy is sold out", code="sold_out")
    if not await repo.take_units(session, campaign.id, user.id, units, campaign.per_shopper_limit):
        raise Conflict(
            "you have reached this group buy's limit per shopper",
            code="limit_reached",
            details={"per_shopper_limit": campaign.per_shopper_limit},
        )


async def _check_still_offered(
    session: AsyncSession, campaign: GroupCampaign, sku_id: int, prices: tuple[int, int | None]
) -> None:
    """Taking the campaign's stock waited for any edit or stop of the campaign to commit: the
    terms this order was placed on must still be the campaign's."""
    group_size = campaign.group_size
    await session.refresh(campaign)
    if campaign.status == CampaignStatus.STOPPED:
        raise Conflict("this group buy has been stopped", code="campaign_stopped")
    if (
        campaign.group_size != group_size
        or await repo.price_of(session, campaign.id, sku_id) != prices
    ):
        raise Conflict(
            "this group buy's terms have just changed; please try again", code="campaign_changed"
        )


async def _place(
    session: AsyncSession,
    user: User,
    campaign: GroupCampaign,
    group: Group,
    role: MemberRole,
    data: GroupOrderIn,
    now: datetime,
) -> tuple[GroupMember, PlacedCheckout]:
    prices = await _price_of(session, campaign, data.sku_id)
    price_fen, leader_price_fen = prices
    unit_price = rules.unit_price(role, price_fen, leader_price_fen)
    new_customer = not await repo.has_paid_order(session, user.id, campaign.store_id)
    if role == MemberRole.JOINER and campaign.new_customers_only and not new_customer:
        raise Conflict(
            "this group buy takes new customers of the store only", code="new_customers_only"
        )
    member = GroupMember(
        group_id=group.id,
        campaign_id=campaign.id,
        store_id=campaign.store_id,
        user_id=user.id,
        role=role,
        status=MemberState.PENDING,
        sku_id=data.sku_id,
        quantity=data.quantity,
        unit_price_fen=unit_price,
        new_customer=new_customer,
    )
    session.add(member)
    await session.flush()
    offer = CampaignOffer(
        kind=CampaignKind.GROUP,
        campaign_id=campaign.id,
        entry_id=member.id,
        sku_id=data.sku_id,
        price_fen=unit_price,
        label=price_label(campaign),
        hold_shipping=True,
    )
    placed = await place_campaign_order(session, user, offer, data.checkout())
    # After the order took its regular stock: every transaction that holds both takes the
    # SKU's stock row before the campaign's (a cancellation gives stock back, then units).
    await _take(session, campaign, user, data.quantity)
    await _check_still_offered(session, campaign, data.sku_id, prices)
    member.order_id = placed.orders[0].id
    await session.flush()
    return member, placed


async def live_campaign(session: AsyncSession, campaign_id: int, now: datetime) -> GroupCampaign:
    campaign = await session.get(GroupCampaign, campaign_id)
    if campaign is None:
        raise NotFound("no such group buy")
    _ensure_live(campaign, now)
    return campaign


async def _new_group(session: AsyncSession, campaign: GroupCampaign, leader_id: int) -> Group:
    """A group awaiting its leader's payment (shown to no one until then)."""
    group = Group(
        campaign_id=campaign.id,
        store_id=campaign.store_id,
        product_id=campaign.product_id,
        leader_id=leader_id,
        status=GroupState.PENDING,
        size=campaign.group_size,
        member_count=0,
    )
    session.add(group)
    await session.flush()
    return group


async def open_group(
    session: AsyncSession, user: User, campaign_id: int, data: GroupOrderIn, now: datetime
) -> tuple[Group, PlacedCheckout]:
    """A new group led by ``user``, shown to others once the leader's order is paid."""
    campaign = await live_campaign(session, campaign_id, now)
    group = await _new_group(session, campaign, user.id)
    _, placed = await _place(session, user, campaign, group, MemberRole.LEADER, data, now)
    return group, placed


async def join_group(
    session: AsyncSession, user: User, group_id: int, data: GroupOrderIn, now: datetime
) -> tuple[Group, PlacedCheckout]:
    """An order for a place in an open group; the place is the member's once it is paid."""
    group = await repo.group(session, group_id)
    if group is None or group.status in (GroupState.PENDING, GroupState.ABANDONED):
        raise NotFound("no such group")
    campaign = await live_campaign(session, group.campaign_id, now)
    if group.status != GroupState.OPEN or (group.expires_at and group.expires_at <= now):
        raise Conflict("this group is no longer open", code="group_closed")
    if group.member_count >= group.size:
        raise Conflict("this group is full", code="group_full")
    members = (
        await repo.members_of(session, [group.id], [MemberState.PENDING, MemberState.JOINED])
    )[group.id]
    if any(member.user_id == user.id for member in members):
        raise Conflict("you are already in this group", code="already_member")
    _, placed = await _place(session, user, campaign, group, MemberRole.JOINER, data, now)
    return group, placed


# What payments and closed orders do (called by the subscribers in events.py)


async def _complete(session: AsyncSession, group: Group, now: datetime, *, simulated: bool) -> None:
    """The group is complete; its orders may ship once :func:`release_orders` has run, just
    after this commits. Not here: this transaction holds the group row, and a member's
    cancellation holds its order row before it asks for the group's (PostgreSQL would find
    the two waiting for each other)."""
    await GROUP_MACHINE.apply(session, group, "complete", completed_at=now, simulated=simulated)
    emit(
        session,
        GROUP_COMPLETED,
        {"group_id": group.id},
        store_id=group.store_id,
        dedupe_key=f"{GROUP_COMPLETED}:{group.id}",
    )
    await announce(session, GroupCompleted(group.id, group.store_id, now))


async def release_orders(session: AsyncSession, group_id: int) -> None:
    """The paid members' orders of a completed group may ship."""
    group = await session.get(Group, group_id)
    if group is None or group.status != GroupState.COMPLETED:
        return
    joined = (await repo.members_of(session, [group.id], [MemberState.JOINED]))[group.id]
    order_ids = sorted(member.order_id for member in joined if member.order_id is not None)
    await orders.release_shipping_hold(session, order_ids)


def _deadline(session: AsyncSession, group: Group) -> None:
    assert group.expires_at is not None
    emit(
        session,
        GROUP_DEADLINE,
        {"group_id": group.id},
        due_at=group.expires_at,
        store_id=group.store_id,
        dedupe_key=f"{GROUP_DEADLINE}:{group.id}",
    )


async def _lead_new_group(
    session: AsyncSession, campaign: GroupCampaign, member: GroupMember, paid_at: datetime
) -> Group:
    group = await _new_group(session, campaign, member.user_id)
    await _open(session, campaign, group, member, paid_at)
    return group


async def _open(
    session: AsyncSession,
    campaign: GroupCampaign,
    group: Group,
    member: GroupMember,
    paid_at: datetime,
) -> None:
    expires_at = paid_at + timedelta(minutes=campaign.fill_window_minutes)
    await GROUP_MACHINE.apply(
        session, group, "open", opened_at=paid_at, expires_at=expires_at, member_count=1
    )
    await MEMBER_MACHINE.apply(
        session,
        member,
        "join",
        group_id=group.id,
        role=MemberRole.LEADER,
        joined_at=paid_at,
        paid_fen=member.paid_fen,
    )
    _deadline(session, group)


async def _refund_member(session: AsyncSession, member: GroupMember, reason: str) -> None:
    """Once per member and group: a member whose group ended (or whose campaign stopped)
    while its order awaited payment may pay before the message is handled, and be refused
    again; or be moved to a new group by the policy, which may fail in its turn."""
    dedupe_key = f"{REFUND_MEMBER}:{member.id}:{member.group_id}"
    if await repo.message_queued(session, dedupe_key):
        return
    emit(
        session,
        REFUND_MEMBER,
        {"member_id": member.id, "group_id": member.group_id, "reason": reason},
        store_id=member.store_id,
        dedupe_key=dedupe_key,
    )


async def on_paid(session: AsyncSession, member_id: int, paid_at: datetime) -> None:
    member = await session.get(GroupMember, member_id)
    if member is None or member.status != MemberState.PENDING:
        log.warning("groupbuy.paid_member_not_pending", member_id=member_id)
        return
    order = await session.get_one(Order, member.order_id)
    member.paid_fen = order.paid_fen
    # The payment sells its stock after this (the SKU's stock row, then the product's sales);
    # a cancellation returns stock before it frees its place in the group. Take those rows
    # first here too, so that both lock in one order (PostgreSQL; SQLite has one writer).
    await repo.lock_for_update(session, StockLevel.sku_id, member.sku_id)
    campaign = await session.get_one(GroupCampaign, member.campaign_id)
    await repo.lock_for_update(session, Product.id, campaign.product_id)
    # The group's row before the campaign is read: a stop holds the rows of the groups it
    # ends until it has stopped the campaign, so past this lock its stop is seen.
    await repo.lock_for_update(session, Group.id, member.group_id)
    group = await session.get_one(Group, member.group_id, populate_existing=True)
    await session.refresh(campaign)
    if group.status == GroupState.PENDING and member.role == MemberRole.LEADER:
        if campaign.status == CampaignStatus.STOPPED:
            await MEMBER_MACHINE.apply(session, member, "reject", paid_fen=member.paid_fen)
            await GROUP_MACHINE.apply(session, group, "abandon")
            await _refund_member(session, member, STOPPED_REASON)
            return
        await _open(session, campaign, group, member, paid_at)
        return
    if await repo.take_place(session, group.id):
        await MEMBER_MACHINE.apply(
            session, member, "join", joined_at=paid_at, paid_fen=member.paid_fen
        )
        await session.refresh(group)
        if group.member_count == group.size:
            await _complete(session, group, paid_at, simulated=False)
        return
    # The group filled (or ended) before this payment: the campaign's policy.
    if campaign.full_group_policy == FullGroupPolicy.NEW_GROUP and rules.live(
        campaign.status, campaign.starts_at, campaign.ends_at, paid_at
    ):
        await _lead_new_group(session, campaign, member, paid_at)
        return
    await MEMBER_MACHINE.apply(session, member, "reject", paid_fen=member.paid_fen)
    await _refund_member(session, member, FULL_REASON)


async def _give_back(session: AsyncSession, member: GroupMember) -> None:
    await repo.return_stock(session, member.campaign_id, member.quantity)
    await repo.return_units(session, member.campaign_id, member.user_id, member.quantity)


async def on_closed(session: AsyncSession, member_id: int, now: datetime) -> None:
    """The member's order was cancelled, expired unpaid or cancelled with a refund."""
    member = await session.get(GroupMember, member_id)
    if member is None:
        return
    group = await session.get_one(Group, member.group_id)
    if member.status == MemberState.PENDING:
        await MEMBER_MACHINE.apply(session, member, "leave", left_at=now)
        if member.role == MemberRole.LEADER and group.status == GroupState.PENDING:
            await GROUP_MACHINE.apply(session, group, "abandon")
    elif member.status == MemberState.JOINED:
        # Before completion the member leaves and frees the place; after it (or once the
        # group failed) the order is refunded.
        left = group.status == GroupState.OPEN and await repo.free_place(session, group.id)
        await MEMBER_MACHINE.apply(session, member, "leave" if left else "refund", left_at=now)
    elif member.status == MemberState.REJECTED:
        await MEMBER_MACHINE.apply(session, member, "refund", left_at=now)
    else:
        return
    await _give_back(session, member)
    await session.refresh(group)
    if group.status == GroupState.REFUNDING:
        await _finish_refunds_if_done(session, group)


async def _finish_refunds_if_done(session: AsyncSession, group: Group) -> None:
    live = await repo.members_of(session, [group.id], [MemberState.JOINED, MemberState.PENDING])
    if not live[group.id]:
        await GROUP_MACHINE.apply(session, group, "finish_refunds")


async def on_deadline(session: AsyncSession, group_id: int, now: datetime) -> bool:
    """The window to fill has passed: the group ends (:func:`_end_open_group`). A no-op once
    the group is no longer open."""
    group = await session.get(Group, group_id)
    if group is None or group.status != GroupState.OPEN:
        return False
    assert group.expires_at is not None
    if now < group.expires_at:
        return False
    campaign = await session.get_one(GroupCampaign, group.campaign_id)
    await _end_open_group(session, group, campaign, now, FAILED_REASON)
    return True


async def _end_open_group(
    session: AsyncSession, group: Group, campaign: GroupCampaign, now: datetime, reason: str
) -> None:
    """Complete the group by the simulated fill, or fail it and refund every member's own
    order (an unpaid one is closed)."""
    if campaign.simulated_fill:
        await _complete(session, group, now, simulated=True)
        return
    await GROUP_MACHINE.apply(session, group, "fail", failed_at=now)
    # Read after the compare-and-set: a payment that took a place before it is among these.
    members = (
        await repo.members_of(session, [group.id], [MemberState.PENDING, MemberState.JOINED])
    )[group.id]
    for member in members:
        await _refund_member(session, member, reason)
    await announce(session, GroupFailed(group.id, group.store_id, now, reason))
    await GROUP_MACHINE.apply(session, group, "refund")
    if not members:
        await GROUP_MACHINE.apply(session, group, "finish_refunds")


async def end_groups_of_stopped(
    session: AsyncSession, campaign: GroupCampaign, now: datetime
) -> None:
    """The campaign is being stopped: each open group ends now as its deadline would end it,
    and the unpaid orders of its groups are closed.

    Each group's row is held (in id order) until the stop commits: a payment for the group
    waits, then finds the group ended or the campaign stopped (see :func:`on_paid`)."""
    for group in await repo.unfinished_groups(session, campaign.id):
        await repo.lock_for_update(session, Group.id, group.id)
        await session.refresh(group)
        if group.status == GroupState.OPEN:
            await _end_open_group(session, group, campaign, now, STOPPED_REASON)
        # Unpaid orders close: the leader's of a group not yet opened, the joiners' of one
        # the simulated fill has just completed (a failed group's went with its refunds).
        if group.status in (GroupState.PENDING, GroupState.COMPLETED):
            unpaid = (await repo.members_of(session, [group.id], [MemberState.PENDING]))[group.id]
            for member in unpaid:
                await _refund_member(session, member, STOPPED_REASON)


async def refund_member(session: AsyncSession, member_id: int, group_id: int, reason: str) -> bool:
    """Cancel the member's own order (refunded when paid, through orders' refund path). A
    no-op when the member has moved to another group or its order is already closed."""
    member = await session.get(GroupMember, member_id)
    if member is None or member.group_id != group_id or member.order_id is None:
        return False
    if member.status not in (MemberState.PENDING, MemberState.JOINED, MemberState.REJECTED):
        return False
    order = await session.get_one(Order, member.order_id)
    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID):
        return False
    await orders.cancel(session, order, actor="system", reason=reason)
    return True
