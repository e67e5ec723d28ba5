"""What checkout, payment, cancellation and refunds call: promotions as pricing inputs, and a
coupon's life with its order.

None of these commit: each runs in the caller's transaction, so a checkout that fails after
locking a coupon rolls the lock back with everything else. Every move of a coupon is a
compare-and-set of COUPON_MACHINE on its status, so two callers never move one coupon twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.errors import Conflict
from weshop.core.outbox import emit
from weshop.core.read_cache import kept_read
from weshop.pricing.inputs import Coupon, FullReduction, Funder, StackingRules, Tier
from weshop.promotions import repository as repo
from weshop.promotions.models import (
    CouponStatus,
    CouponTemplate,
    ShopperCoupon,
    TemplateStatus,
)
from weshop.promotions.rules import scope_value
from weshop.promotions.state import COUPON_MACHINE, TEMPLATE_MACHINE

EXPIRY_SWEEP = "promotions.expiry_sweep"
SWEEP_EVERY = timedelta(hours=1)
MAX_RETURN_REASON = 40

C = CouponStatus


async def wallet_for_pricing(
    session: AsyncSession, user_id: int, store_ids: Iterable[int], now: datetime
) -> tuple[Coupon, ...]:
    """The shopper's coupons usable at ``now`` in an order of ``store_ids``: status
    available and ``valid_from <= now < valid_until``, of those stores or of the platform
    (``store_id`` None, funded by the platform). Soonest to expire first. Pausing or ending a
    template stops claims, not the coupons already in wallets. Reads only; kept between
    calls until a coupon or template changes (core.read_cache), the window checked each call."""
    wanted = tuple(sorted(set(store_ids)))

    async def read() -> tuple[Coupon, ...]:
        found = await repo.available_coupons(session, user_id, wanted, now)
        return tuple(_pricing_coupon(coupon, template) for coupon, template in found)

    wallet = await kept_read(session, ("wallet_for_pricing", user_id, wanted), read)
    return tuple(c for c in wallet if c.valid_from <= now < c.valid_until)


def _pricing_coupon(coupon: ShopperCoupon, template: CouponTemplate) -> Coupon:
    return Coupon(
        id=coupon.id,
        template_id=template.id,
        store_id=coupon.store_id,
        label=template.name,
        kind=template.kind.value,
        amount_off_fen=template.amount_off_fen,
        percent_off=template.percent_off,
        cap_fen=template.cap_fen,
        threshold_fen=template.threshold_fen,
        scope=scope_value(template.scope),
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
        funded_by=Funder.PLATFORM if coupon.store_id is None else Funder.MERCHANT,
    )


async def _move(
    session: AsyncSession,
    action: str,
    current: CouponStatus,
    where: Iterable[ColumnElement[bool]],
    **values: Any,
) -> list[tuple[int, int]]:
    """Move the coupons ``where`` selects (all in ``current``) by ``action``."""
    target = COUPON_MACHINE.target(current, action)
    return await repo.move_coupons(
        session, [ShopperCoupon.status == current, *where], {"status": target, **values}
    )


async def lock_coupons(
    session: AsyncSession,
    user_id: int,
    coupon_ids: Iterable[int],
    order_id: int,
    now: datetime,
    *,
    discounts_fen: Mapping[int, int] | None = None,
) -> None:
    """Lock the shopper's coupons for ``order_id`` as it is placed: available -> locked.

    Each coupon moves by a compare-and-set (``status = 'available'``, owned by ``user_id``,
    ``valid_from <= now < valid_until``), in id order. If any coupon is unknown, another
    shopper's, expired, or already locked or used (for instance by a concurrent checkout
    that committed first), raises ``Conflict(code="coupon_unavailable")`` with the coupon id
    in ``details``; the caller's transaction must then roll back, which undoes the locks
    taken before it. Of N concurrent checkouts with one coupon, exactly one can commit.
    ``discounts_fen`` (coupon id -> fen the quote took off) is kept for the redemption
    figures. Duplicated ids count once.
    """
    discounts = discounts_fen or {}
    for coupon_id in sorted(set(coupon_ids)):
        moved = await _move(
            session,
            "lock",
            C.AVAILABLE,
            [
                ShopperCoupon.id == coupon_id,
                ShopperCoupon.user_id == user_id,
                ShopperCoupon.valid_from <= now,
                ShopperCoupon.valid_until > now,
            ],
            order_id=order_id,
            locked_at=now,
            discount_fen=max(int(discounts.get(coupon_id, 0)), 0),
        )
        if len(moved) != 1:
            raise Conflict(
                "a coupon of this order is no longer available",
                code="coupon_unavailable",
                details={"coupon_id": coupon_id},
            )


async def use_coupons(session: AsyncSession, order_id: int, now: datetime | None = None) -> int:
    """The order is paid: its locked coupons become used and count in their templates'
    ``used_count``. Returns how many moved; a repeat (a replayed payment callback) finds
    none left locked and returns 0."""
    moved = await _move(
        session, "use", C.LOCKED, [ShopperCoupon.order_id == order_id], used_at=now or utcnow()
    )
    for template_id, count in sorted(Counter(t for _, t in moved).items()):
        await repo.add_used(session, template_id, count)
    return len(moved)


async def use_platform_coupons(
    session: AsyncSession, order_ids: Iterable[int], now: datetime | None = None
) -> int:
    """One order of a checkout is paid: the platform coupon one of ``order_ids`` (the
    checkout's orders) holds is used, since every order of the checkout was priced with it.
    A repeat returns 0."""
    moved = await _move(
        session,
        "use",
        C.LOCKED,
        [ShopperCoupon.order_id.in_(list(order_ids)), ShopperCoupon.store_id.is_(None)],
        used_at=now or utcnow(),
    )
    for template_id, count in sorted(Counter(t for _, t in moved).items()):
        await repo.add_used(session, template_id, count)
    return len(moved)


async def hand_over_platform_coupons(
    session: AsyncSession, from_order_id: int, to_order_id: int
) -> int:
    """The order holding its checkout's platform coupon ends (cancelled or refunded) while
    another order of the checkout lives on with the coupon's discount: that order holds the
    coupon now, locked or used as it was, so it cannot come back to the wallet while part of
    its discount is still in use. Returns how many moved."""
    moved = await repo.move_coupons(
        session,
        [
            ShopperCoupon.order_id == from_order_id,
            ShopperCoupon.store_id.is_(None),
            ShopperCoupon.status.in_([C.LOCKED, C.USED]),
        ],
        {"order_id": to_order_id},
    )
    return len(moved)


async def return_coupons(session: AsyncSession, order_id: int, reason: str) -> int:
    """The order is cancelled (or expired) before payment: its locked coupons go back to the
    wallet as available, exactly once. Returns how many moved; calling again for the same
    order returns 0 (the coupons no longer point at it). A coupon whose validity ended
    meanwhile comes back available and is shown, and swept, as expired."""
    moved = await _move(
        session,
        "return",
        C.LOCKED,
        [ShopperCoupon.order_id == order_id],
        order_id=None,
        locked_at=None,
        discount_fen=0,
        return_count=ShopperCoupon.return_count + 1,
        last_return_reason=reason[:MAX_RETURN_REASON],
    )
    return len(moved)


async def return_used_coupons_on_refund(session: AsyncSession, order_id: int) -> int:
    """The order is refunded in full: its used coupons whose template has
    ``return_on_refund`` go back to the wallet (used -> available, still within their own
    validity) and leave their templates' ``used_count``; the others stay used. Call it once
    the refund is certain; a repeat returns 0. Partial refunds keep the coupon used."""
    returnable = select(CouponTemplate.id).where(CouponTemplate.return_on_refund.is_(True))
    moved = await _move(
        session,
        "restore",
        C.USED,
        [ShopperCoupon.order_id == order_id, ShopperCoupon.template_id.in_(returnable)],
        order_id=None,
        used_at=None,
        locked_at=None,
        discount_fen=0,
        return_count=ShopperCoupon.return_count + 1,
        last_return_reason="refunded",
    )
    for template_id, count in sorted(Counter(t for _, t in moved).items()):
        await repo.add_used(session, template_id, -count)
    return len(moved)


async def expire_coupons(session: AsyncSession, now: datetime) -> int:
    """Mark available coupons past their validity expired, and end templates whose fixed
    window is over. Only tidies: every read already treats such coupons as expired. Locked
    coupons are left to their order. Returns how many coupons it expired."""
    moved = await _move(session, "expire", C.AVAILABLE, [ShopperCoupon.valid_until <= now])
    for current in (TemplateStatus.ACTIVE, TemplateStatus.PAUSED):
        await session.execute(
            update(CouponTemplate)
            .where(CouponTemplate.status == current, CouponTemplate.valid_until <= now)
            .values(status=TEMPLATE_MACHINE.target(current, "end"))
        )
    return len(moved)


async def schedule_expiry_sweep(session: AsyncSession, now: datetime) -> None:
    """Queue the sweep for the next full hour unless it is queued already (one message per
    hour, by its dedupe key); the sweep queues the next one itself."""
    due = now.replace(minute=0, second=0, microsecond=0) + SWEEP_EVERY
    try:
        async with session.begin_nested():
            emit(session, EXPIRY_SWEEP, {}, due_at=due, dedupe_key=f"{EXPIRY_SWEEP}:{due:%Y%m%d%H}")
            await session.flush()
    except IntegrityError:
        pass  # that hour's sweep is already queued


async def active_reductions_for_pricing(
    session: AsyncSession, store_ids: Iterable[int], now: datetime
) -> tuple[FullReduction, ...]:
    """Full-reduction rules of ``store_ids`` that are active and in their window at ``now``
    (``starts_at <= now < ends_at``, an open end counting as always), by store, then
    priority (highest first), then id. Tiers ascend by threshold. Reads only; kept between
    calls until a rule changes (core.read_cache), the window checked each call."""
    wanted = tuple(sorted(set(store_ids)))

    async def read() -> tuple[FullReduction, ...]:
        return tuple(
            FullReduction(
                id=rule.id,
                store_id=rule.store_id,
                label=rule.name,
                tiers=tuple(Tier(**tier) for tier in rule.tiers),
                scope=scope_value(rule.scope),
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                priority=rule.priority,
                funded_by=Funder.MERCHANT,
            )
            for rule in await repo.active_reductions(session, wanted, now)
        )

    rules = await kept_read(session, ("active_reductions_for_pricing", wanted), read)
    return tuple(
        rule
        for rule in rules
        if (rule.starts_at is None or rule.starts_at <= now)
        and (rule.ends_at is None or now < rule.ends_at)
    )


async def stacking_for_pricing(
    session: AsyncSession, store_ids: Iterable[int]
) -> dict[int, StackingRules]:
    """Each store's stacking rules; a store that set none gets ``StackingRules()`` (all
    groups combine, one promotion of each group). Reads only; kept between calls until the
    settings change (core.read_cache)."""
    wanted = tuple(sorted(set(store_ids)))

    async def read() -> tuple[tuple[int, StackingRules], ...]:
        saved = await repo.stacking_settings(session, wanted)
        rules = []
        for store_id in wanted:
            row = saved.get(store_id)
            if row is None:
                rules.append((store_id, StackingRules()))
                continue
            exclusive = frozenset(frozenset(pair) for pair in row.exclusive_pairs)
            rules.append(
                (
                    store_id,
                    StackingRules(
                        exclusive_pairs=exclusive,
                        campaigns_without_promotions=frozenset(row.campaigns_without_promotions),
                    ),
                )
            )
        return tuple(rules)

    return dict(await kept_read(session, ("stacking_for_pricing", wanted), read))


def pricing_versions(user_id: ColumnElement[Any], store_ids: Select) -> list[Select]:
    """Versions of the coupons, full reductions and stacking rules pricing reads for the
    shopper in the stores ``store_ids`` selects (``core.versions``)."""
    return repo.pricing_versions(user_id, store_ids)
