"""A coupon's life with its order, through the service functions checkout, payment,
cancellation and refunds call: one coupon serves exactly one of five concurrent checkouts,
and a cancelled order gives its coupon back exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.promotions.conftest import (
    PLATFORM,
    claim,
    create_template,
    fixed_coupon,
    template_detail,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, IllegalTransition
from weshop.core.outbox import OutboxMessage, OutboxStatus
from weshop.core.worker import HandlerRegistry, Worker
from weshop.pricing.inputs import Funder, StackingGroup
from weshop.promotions import service
from weshop.promotions.models import CouponStatus, ShopperCoupon
from weshop.promotions.state import COUPON_MACHINE
from weshop.promotions.tasks import registry as promotion_tasks


async def user_id_of(client, shopper) -> int:
    return expect(await client.get("/api/v1/me", headers=shopper), 200)["id"]


async def coupon_row(runtime, coupon_id: int) -> ShopperCoupon:
    async with runtime.db.session(write=False) as session:
        return await session.get_one(ShopperCoupon, coupon_id)


@pytest.fixture
async def wallet(api, client):
    """A store, a shopper with one coupon of it, and the ids involved."""
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner, return_on_refund=True)
    shopper = await api.sign_in()
    coupon = expect(await claim(client, shopper, made["id"]), 201)
    return {
        "store_id": store_id,
        "owner": owner,
        "template_id": made["id"],
        "shopper": shopper,
        "user_id": await user_id_of(client, shopper),
        "coupon_id": coupon["id"],
    }


async def test_wallet_for_pricing_gives_usable_coupons_of_the_stores_and_the_platform(
    api, client, runtime, wallet
):
    operator = await api.operator()
    platform = expect(await client.post(PLATFORM, json=fixed_coupon(), headers=operator), 201)
    platform_coupon = expect(await claim(client, wallet["shopper"], platform["id"]), 201)
    other_id, other_owner = await api.new_store("别家")
    elsewhere = await create_template(api, other_id, other_owner)
    expect(await claim(client, wallet["shopper"], elsewhere["id"]), 201)
    now = utcnow()
    async with runtime.db.session(write=False) as session:
        found = await service.wallet_for_pricing(
            session, wallet["user_id"], [wallet["store_id"]], now
        )
        later = await service.wallet_for_pricing(
            session, wallet["user_id"], [wallet["store_id"]], now + timedelta(days=8)
        )
    by_id = {c.id: c for c in found}
    assert set(by_id) == {wallet["coupon_id"], platform_coupon["id"]}
    store_coupon = by_id[wallet["coupon_id"]]
    assert (store_coupon.kind, store_coupon.amount_off_fen, store_coupon.threshold_fen) == (
        "fixed",
        1000,
        10000,
    )
    assert store_coupon.funded_by == Funder.MERCHANT
    assert store_coupon.group == StackingGroup.STORE_COUPON
    assert by_id[platform_coupon["id"]].funded_by == Funder.PLATFORM
    assert by_id[platform_coupon["id"]].group == StackingGroup.PLATFORM_COUPON
    assert later == ()  # 7 days after the claim they have all expired


async def test_one_coupon_locked_by_five_concurrent_checkouts_serves_exactly_one(runtime, wallet):
    """On PostgreSQL all five first read the coupon as available (the trap of
    check-then-act), then try to lock it; only one can hold it."""
    barrier = asyncio.Barrier(5) if not runtime.db.is_sqlite else None

    async def checkout(order_id: int) -> str:
        try:
            async with runtime.db.transaction() as session:
                seen = await session.get_one(ShopperCoupon, wallet["coupon_id"])
                if barrier:  # SQLite queues writers at BEGIN, so only PostgreSQL can meet here
                    assert seen.status == CouponStatus.AVAILABLE
                    await barrier.wait()
                await service.lock_coupons(
                    session, wallet["user_id"], [wallet["coupon_id"]], order_id, utcnow()
                )
                await asyncio.sleep(0.05)  # hold the lock while the others try
            return "locked"
        except Conflict as refused:
            assert refused.code == "coupon_unavailable"
            assert refused.details == {"coupon_id": wallet["coupon_id"]}
            return "refused"

    outcomes = await asyncio.gather(*(checkout(9000 + i) for i in range(5)))
    assert sorted(outcomes) == ["locked", "refused", "refused", "refused", "refused"]
    coupon = await coupon_row(runtime, wallet["coupon_id"])
    assert coupon.status == CouponStatus.LOCKED
    assert coupon.order_id == 9000 + outcomes.index("locked")


async def test_a_failed_checkout_rolls_its_locks_back(api, client, runtime, wallet):
    second = await create_template(api, wallet["store_id"], wallet["owner"], name="第二张")
    other = expect(await claim(client, wallet["shopper"], second["id"]), 201)
    with pytest.raises(Conflict):
        async with runtime.db.transaction() as session:
            await service.lock_coupons(
                session, wallet["user_id"], [wallet["coupon_id"], other["id"], 10**9], 1, utcnow()
            )
    for coupon_id in (wallet["coupon_id"], other["id"]):
        assert (await coupon_row(runtime, coupon_id)).status == CouponStatus.AVAILABLE


async def test_only_the_owner_can_lock_and_only_while_valid(api, runtime, wallet, client):
    stranger = await user_id_of(client, await api.sign_in())
    for user_id, when in (
        (stranger, utcnow()),
        (wallet["user_id"], utcnow() + timedelta(days=8)),
    ):
        with pytest.raises(Conflict):
            async with runtime.db.transaction() as session:
                await service.lock_coupons(session, user_id, [wallet["coupon_id"]], 7, when)
    assert (await coupon_row(runtime, wallet["coupon_id"])).status == CouponStatus.AVAILABLE


async def lock(runtime, wallet, order_id: int, discount: int = 0) -> None:
    async with runtime.db.transaction() as session:
        await service.lock_coupons(
            session,
            wallet["user_id"],
            [wallet["coupon_id"]],
            order_id,
            utcnow(),
            discounts_fen={wallet["coupon_id"]: discount},
        )


async def test_a_cancelled_order_returns_its_coupon_once(api, client, runtime, wallet):
    await lock(runtime, wallet, 41)
    locked = expect(
        await client.get("/api/v1/me/coupons?status=locked", headers=wallet["shopper"]), 200
    )
    assert [(c["id"], c["order_id"]) for c in locked["items"]] == [(wallet["coupon_id"], 41)]
    async with runtime.db.transaction() as session:
        assert await service.return_coupons(session, 41, "cancelled") == 1
    async with runtime.db.transaction() as session:
        assert await service.return_coupons(session, 41, "cancelled") == 0
    coupon = await coupon_row(runtime, wallet["coupon_id"])
    assert (coupon.status, coupon.order_id, coupon.return_count) == (
        CouponStatus.AVAILABLE,
        None,
        1,
    )
    assert coupon.last_return_reason == "cancelled"
    # Back in the wallet, it can serve the next order, and paying that one does not need it
    # again; the cancelled order's late payment finds nothing to use.
    await lock(runtime, wallet, 42)
    async with runtime.db.transaction() as session:
        assert await service.use_coupons(session, 41) == 0
        assert await service.return_coupons(session, 41, "cancelled") == 0
    assert (await coupon_row(runtime, wallet["coupon_id"])).order_id == 42


async def test_payment_uses_the_coupon_and_the_figures_show_it(api, runtime, wallet):
    await lock(runtime, wallet, 51, discount=1000)
    detail = await template_detail(api, wallet["store_id"], wallet["owner"], wallet["template_id"])
    assert detail["figures"]["locked"] == 1
    async with runtime.db.transaction() as session:
        assert await service.use_coupons(session, 51) == 1
    async with runtime.db.transaction() as session:
        assert await service.use_coupons(session, 51) == 0  # a replayed callback
        assert await service.return_coupons(session, 51, "cancelled") == 0  # used is not locked
    coupon = await coupon_row(runtime, wallet["coupon_id"])
    assert coupon.status == CouponStatus.USED and coupon.used_at is not None
    detail = await template_detail(api, wallet["store_id"], wallet["owner"], wallet["template_id"])
    assert detail["used_count"] == 1
    assert detail["figures"] == {
        "claimed": 1,
        "available": 0,
        "locked": 0,
        "used": 1,
        "expired": 0,
        "returned": 0,
        "discount_given_fen": 1000,
    }


async def test_a_refund_gives_the_coupon_back_only_if_the_template_says_so(
    api, client, runtime, wallet
):
    keeps = await create_template(api, wallet["store_id"], wallet["owner"], name="不退")
    kept = expect(await claim(client, wallet["shopper"], keeps["id"]), 201)
    async with runtime.db.transaction() as session:
        await service.lock_coupons(
            session, wallet["user_id"], [wallet["coupon_id"], kept["id"]], 61, utcnow()
        )
        await service.use_coupons(session, 61)
    async with runtime.db.transaction() as session:
        assert await service.return_used_coupons_on_refund(session, 61) == 1
    async with runtime.db.transaction() as session:
        assert await service.return_used_coupons_on_refund(session, 61) == 0
    assert (await coupon_row(runtime, wallet["coupon_id"])).status == CouponStatus.AVAILABLE
    assert (await coupon_row(runtime, kept["id"])).status == CouponStatus.USED
    back = await template_detail(api, wallet["store_id"], wallet["owner"], wallet["template_id"])
    assert (back["used_count"], back["figures"]["returned"]) == (0, 1)


async def test_the_state_machine_refuses_undeclared_moves():
    for state, action in (
        (CouponStatus.USED, "lock"),
        (CouponStatus.EXPIRED, "lock"),
        (CouponStatus.AVAILABLE, "use"),
        (CouponStatus.AVAILABLE, "return"),
        (CouponStatus.LOCKED, "expire"),
        (CouponStatus.EXPIRED, "restore"),
    ):
        with pytest.raises(IllegalTransition):
            COUPON_MACHINE.target(state, action)


async def test_expiry_marks_lapsed_coupons_and_ends_templates_whose_window_is_over(
    api, client, runtime, wallet
):
    async with runtime.db.transaction() as session:
        await session.execute(
            update(ShopperCoupon)
            .where(ShopperCoupon.id == wallet["coupon_id"])
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )
    async with runtime.db.transaction() as session:
        assert await service.expire_coupons(session, utcnow()) == 1
    async with runtime.db.transaction() as session:
        assert await service.expire_coupons(session, utcnow()) == 0
    assert (await coupon_row(runtime, wallet["coupon_id"])).status == CouponStatus.EXPIRED
    with pytest.raises(Conflict):
        await lock(runtime, wallet, 71)
    detail = await template_detail(api, wallet["store_id"], wallet["owner"], wallet["template_id"])
    assert detail["figures"]["expired"] == 1 and detail["status"] == "active"


async def test_the_hourly_sweep_expires_and_queues_the_next_one(api, client, runtime, wallet):
    registry = HandlerRegistry()
    registry.merge(promotion_tasks)
    worker = Worker(runtime.db, registry, runtime)
    later = utcnow() + timedelta(days=8)  # the coupon's 7 days are over
    assert await worker.run_once(later) == 1
    assert (await coupon_row(runtime, wallet["coupon_id"])).status == CouponStatus.EXPIRED
    async with runtime.db.session(write=False) as session:
        sweeps = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [m.status for m in sweeps] == [OutboxStatus.DONE, OutboxStatus.PENDING]
    assert sweeps[1].due_at > later
