"""Benefits follow refunds: every refund that succeeds (staff by line here, through the
sandbox provider and the worker) gives back the points the order spent and takes back what
its completion earned, in proportion to the refunded total and exactly once; a wholly
refunded order returns its coupons by policy; a replayed refund notification changes
nothing; and the shopper's points page says why each entry is there."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.ledger.support import Market, ask_refund, complete, open_market
from tests.members.support import add_level, make_member
from tests.promotions.conftest import claim, create_platform_template, create_template
from tests.storefront import page, shopper
from tests.support import Api, expect
from weshop.core.money import allocate
from weshop.core.state import IllegalTransition
from weshop.members.models import Membership, PointsEntry, PointsKind
from weshop.payments import refunds
from weshop.payments.models import Refund, RefundStatus
from weshop.payments.provider import ProviderRefund, ProviderRefundStatus, RefundUpdate
from weshop.promotions.models import ShopperCoupon

PRICES = (3999, 1250)
RULES = {
    "growth_per_yuan": 1,
    "points_per_yuan": 2,
    "fen_per_point": 1,
    "max_share_percent": 50,
    "points_expire_days": None,
}
# (name, growth threshold, pay percent): one refund can take a member down a rung or two.
LEVELS = (("普通", 0, 100), ("银卡", 40, 100), ("金卡", 120, 100))


@dataclass
class Shop:
    market: Market
    # Store coupons (no threshold, 5 yuan off): one returns on a whole refund, one does not.
    coupons: dict[str, int]
    # growth threshold -> level id
    levels: dict[int, int]


async def open_shop(api: Api) -> Shop:
    market = await open_market(api, PRICES, shipping=False)
    expect(
        await api.client.put(market.merchant("/member-rules"), json=RULES, headers=market.owner),
        200,
    )
    levels = {}
    for name, threshold, pay in LEVELS:
        level = await add_level(api, market.store_id, market.owner, name, threshold, pay)
        levels[threshold] = level["id"]
    coupons = {}
    for policy, returns in (("returnable", True), ("kept", False)):
        template = await create_template(
            api,
            market.store_id,
            market.owner,
            name=f"无门槛{policy}",
            kind="no_threshold",
            threshold_fen=None,
            amount_off_fen=500,
            return_on_refund=returns,
        )
        coupons[policy] = template["id"]
    return Shop(market, coupons, levels)


async def new_shopper(api: Api, shop: Shop) -> Market:
    """The shop's market seen by a new shopper with an address of their own."""
    headers, address_id = await api.buyer()
    return dataclasses.replace(shop.market, shopper=headers, address_id=address_id)


async def adjust(market: Market, user_id: int, delta: int) -> None:
    expect(
        await market.api.client.post(
            market.merchant(f"/members/{user_id}/points-adjustments"),
            json={"delta": delta, "reason": "测试调整"},
            headers=market.owner,
        ),
        201,
    )


async def place_and_pay(market: Market, items: list[tuple[int, int]], points: bool) -> dict:
    body = {
        "address_id": market.address_id,
        "items": [{"sku_id": market.skus[i], "quantity": n} for i, n in items],
    }
    if points:
        body["points"] = [{"store_id": market.store_id, "points": "all"}]
    api = market.api
    placed = expect(
        await api.client.post("/api/v1/me/orders", json=body, headers=market.shopper), 201
    )
    order = placed["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(market.shopper, order["id"]))
    return order


async def refund_lines(runner, market: Market, order_id: int, lines: dict[int, int]) -> None:
    """A staff refund, sent by the worker; the sandbox pays it back at once."""
    expect(await ask_refund(market, order_id, lines), 201)
    await runner.run()


@dataclass(frozen=True)
class Benefits:
    """The shopper's points at the store and what the order's entries say."""

    balance: int
    growth: int
    owed: int
    level_id: int | None
    # kind -> (sum of delta, sum of growth_delta, sum of owed_delta, entries)
    by_kind: dict[str, tuple[int, int, int, int]]
    # (kind, refund) of the entries that followed a refund
    refund_entries: tuple[tuple[str, int], ...]


async def benefits(runtime, store_id: int, user_id: int, order_id: int) -> Benefits:
    async with runtime.db.session(write=False) as session:
        member = await session.scalar(
            select(Membership).where(Membership.store_id == store_id, Membership.user_id == user_id)
        )
        entries = list(
            await session.scalars(
                select(PointsEntry).where(PointsEntry.order_id == order_id).order_by(PointsEntry.id)
            )
        )
    by_kind: dict[str, tuple[int, int, int, int]] = {}
    for entry in entries:
        delta, growth, owed, count = by_kind.get(entry.kind, (0, 0, 0, 0))
        by_kind[entry.kind] = (
            delta + entry.delta,
            growth + entry.growth_delta,
            owed + entry.owed_delta,
            count + 1,
        )
    return Benefits(
        balance=member.points_balance if member else 0,
        growth=member.growth_value if member else 0,
        owed=member.points_owed if member else 0,
        level_id=member.level_id if member else None,
        by_kind=by_kind,
        refund_entries=tuple((e.kind, e.refund_id) for e in entries if e.refund_id is not None),
    )


def success_of(refund: Refund, provider_refund_id: str | None = None) -> RefundUpdate:
    """The provider's verified word that the refund succeeded."""
    return RefundUpdate(
        refund.out_refund_no,
        refund.amount_fen,
        ProviderRefund(
            provider_refund_id or refund.provider_refund_id or "", ProviderRefundStatus.SUCCEEDED
        ),
    )


async def replay_refund_notifications(runtime, order_id: int) -> None:
    """Each succeeded refund of the order told again, as the provider's callback would."""
    async with runtime.db.transaction() as session:
        done = list(
            await session.scalars(
                select(Refund).where(
                    Refund.order_id == order_id, Refund.status == RefundStatus.SUCCEEDED
                )
            )
        )
        for refund in done:
            told = await refunds.apply_refund_update(session, "sandbox", success_of(refund))
            assert told == "already_applied"


async def coupon_state(runtime, coupon_id: int) -> tuple[str, int | None, int]:
    async with runtime.db.session(write=False) as session:
        row = await session.get_one(ShopperCoupon, coupon_id)
        return row.status, row.order_id, row.return_count


plans = st.fixed_dictionaries(
    {
        "items": st.lists(
            st.tuples(st.integers(0, 1), st.integers(1, 3)),
            min_size=1,
            max_size=2,
            unique_by=lambda item: item[0],
        ),
        "granted": st.sampled_from([0, 0, 150, 6000]) | st.integers(1, 4000),
        "coupon": st.sampled_from([None, "returnable", "kept"]),
        # How many of the refunds come before the order completes (None: it never does).
        "complete_after": st.none() | st.integers(0, 4),
        # Percent of the balance staff take after completion, so a claw-back may fall short.
        "drain": st.sampled_from([0, 0, 50, 100]),
        "refunds": st.lists(st.tuples(st.integers(0, 1), st.integers(1, 100)), max_size=4),
        "refund_rest": st.booleans(),
    }
)


@dataclass
class Expected:
    """What the order's points and growth should be, from its totals alone."""

    granted: int
    spent: int
    paid: int
    refunded: int = 0
    basis: int | None = None  # what completion earned on
    drained: int = 0

    def returned(self) -> int:
        return allocate(self.spent, [self.refunded, self.paid - self.refunded])[0]

    def earned(self) -> tuple[int, int]:
        if not self.basis:
            return 0, 0
        per_yuan = RULES["points_per_yuan"], RULES["growth_per_yuan"]
        return self.basis * per_yuan[0] // 100, self.basis * per_yuan[1] // 100

    def clawed(self) -> tuple[int, int]:
        if not self.basis:
            return 0, 0
        kept = self.paid - self.refunded
        points, growth = self.earned()
        weights = [self.basis - kept, kept]
        return allocate(points, weights)[0], allocate(growth, weights)[0]


async def check(runtime, shop: Shop, user_id: int, order_id: int, expected: Expected) -> None:
    found = await benefits(runtime, shop.market.store_id, user_id, order_id)
    returned, _, _, _ = found.by_kind.get(PointsKind.REFUND, (0, 0, 0, 0))
    assert returned == expected.returned()
    # Within half a point of spent × refunded ÷ paid, and all of it once all is refunded.
    assert abs(returned * expected.paid - expected.spent * expected.refunded) * 2 <= expected.paid
    assert returned == expected.spent or expected.refunded < expected.paid
    earned, earned_growth, _, _ = found.by_kind.get(PointsKind.EARN, (0, 0, 0, 0))
    assert (earned, earned_growth) == expected.earned()
    taken, growth_taken, owed, _ = found.by_kind.get(PointsKind.CLAWBACK, (0, 0, 0, 0))
    assert (owed - taken, -growth_taken) == expected.clawed()
    if expected.basis:
        lost = expected.basis - (expected.paid - expected.refunded)
        assert abs((owed - taken) * expected.basis - earned * lost) * 2 <= expected.basis
    assert found.owed == owed >= 0
    assert found.balance == (
        expected.granted - expected.spent + returned + earned + taken - expected.drained
    )
    assert found.growth == earned_growth + growth_taken
    reached = max(t for t in shop.levels if t <= found.growth)
    assert found.level_id == shop.levels[reached]
    # Each refund returned spent points and took back earned ones at most once.
    assert len(found.refund_entries) == len(set(found.refund_entries))


@pytest.fixture
def shops() -> dict[str, Shop]:
    """One shop for every example of a test; each example has a shopper of its own."""
    return {}


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans)
async def test_random_refunds_return_and_take_back_points_in_proportion_exactly_once(
    api, runtime, runner, shops, plan
):
    if "shop" not in shops:
        shops["shop"] = await open_shop(api)
    shop = shops["shop"]
    market = await new_shopper(api, shop)
    user_id = await make_member(api, market.store_id, market.shopper)
    if plan["granted"]:
        await adjust(market, user_id, plan["granted"])
    coupon_id = None
    if plan["coupon"]:
        coupon_id = expect(
            await claim(api.client, market.shopper, shop.coupons[plan["coupon"]]), 201
        )["id"]
    order = await place_and_pay(market, plan["items"], points=bool(plan["granted"]))
    await runner.run()
    order = await api.order(market.shopper, order["id"])
    spent = order["price_breakdown"]["stores"][0]["points_used"]
    expected = Expected(plan["granted"], spent, order["payable_fen"])
    assert expected.paid > 0
    left = {line["id"]: line["payable_fen"] for line in order["lines"]}

    async def completes() -> None:
        await complete(market, order["id"])
        expected.basis = expected.paid - expected.refunded
        balance = (await benefits(runtime, market.store_id, user_id, order["id"])).balance
        drained = balance * plan["drain"] // 100
        if drained:
            await adjust(market, user_id, -drained)
            expected.drained = drained

    async def refunded(lines: dict[int, int]) -> None:
        await refund_lines(runner, market, order["id"], lines)
        for line_id, amount in lines.items():
            left[line_id] -= amount
        expected.refunded += sum(lines.values())
        await check(runtime, shop, user_id, order["id"], expected)
        before = await benefits(runtime, market.store_id, user_id, order["id"])
        await replay_refund_notifications(runtime, order["id"])
        await runner.run()
        assert await benefits(runtime, market.store_id, user_id, order["id"]) == before

    for step, (pick, percent) in enumerate(plan["refunds"]):
        if plan["complete_after"] == step:
            await completes()
        line_id = order["lines"][pick % len(order["lines"])]["id"]
        if left[line_id]:
            await refunded({line_id: max(1, left[line_id] * percent // 100)})
    if plan["complete_after"] is not None and plan["complete_after"] >= len(plan["refunds"]):
        await completes()
    if plan["refund_rest"] and any(left.values()):
        await refunded({line_id: fen for line_id, fen in left.items() if fen})
    await check(runtime, shop, user_id, order["id"], expected)
    if coupon_id is not None:
        status, holder, returns = await coupon_state(runtime, coupon_id)
        if expected.refunded == expected.paid and plan["coupon"] == "returnable":
            assert (status, holder, returns) == ("available", None, 1)
        else:
            assert (status, holder, returns) == ("used", order["id"], 0)


async def member(runtime, store_id: int, user_id: int) -> tuple[int, int, int, int | None]:
    """(balance, owed, growth, level id)"""
    async with runtime.db.session(write=False) as session:
        row = await session.scalar(
            select(Membership).where(Membership.store_id == store_id, Membership.user_id == user_id)
        )
        return row.points_balance, row.points_owed, row.growth_value, row.level_id


async def test_a_claw_back_the_balance_cannot_pay_is_owed_and_paid_from_later_earnings(
    api, client, runtime, runner
):
    shop = await open_shop(api)
    _, headers = await shopper(api, client)
    address = await api.add_address(headers)
    market = dataclasses.replace(shop.market, shopper=headers, address_id=address["id"])
    user_id = await make_member(api, market.store_id, headers)
    first = await place_and_pay(market, [(0, 2)], points=False)  # 79.98 yuan
    await runner.run()
    await complete(market, first["id"])
    silver = shop.levels[40]
    assert await member(runtime, market.store_id, user_id) == (159, 0, 79, silver)
    await adjust(market, user_id, -159)  # the shopper's points are gone (spent elsewhere)

    lines = {line["id"]: line["payable_fen"] for line in first["lines"]}
    await refund_lines(runner, market, first["id"], lines)
    # Nothing to take: all 159 points are owed; growth goes, and the level with it.
    assert await member(runtime, market.store_id, user_id) == (0, 159, 0, shop.levels[0])
    await replay_refund_notifications(runtime, first["id"])
    assert await member(runtime, market.store_id, user_id) == (0, 159, 0, shop.levels[0])

    second = await place_and_pay(market, [(0, 3)], points=False)  # 119.97 yuan
    await runner.run()
    await complete(market, second["id"])
    # 239 points earned, 159 of them pay what was owed.
    assert await member(runtime, market.store_id, user_id) == (80, 0, 119, silver)
    staff_view = expect(
        await client.get(market.merchant(f"/members/{user_id}"), headers=market.owner), 200
    )
    assert (staff_view["points_balance"], staff_view["points_owed"]) == (80, 0)

    ledger = await page(client, f"/me/points/{market.store_id}")
    assert "退款扣回" in ledger and "尚欠 159 积分" in ledger
    assert "抵扣欠下的积分" in ledger and "-159" in ledger
    entries = expect(
        await client.get(market.merchant(f"/members/{user_id}/points"), headers=market.owner),
        200,
    )
    clawback = next(e for e in entries["items"] if e["kind"] == "clawback")
    assert (clawback["order_id"], clawback["delta"], clawback["owed_delta"]) == (
        first["id"],
        0,
        159,
    )
    assert clawback["growth_delta"] == -79 and clawback["refund_id"] is not None


async def test_a_cancellation_after_a_partial_refund_returns_the_rest_once(api, runtime, runner):
    shop = await open_shop(api)
    market = await new_shopper(api, shop)
    user_id = await make_member(api, market.store_id, market.shopper)
    await adjust(market, user_id, 1000)
    coupon = expect(await claim(api.client, market.shopper, shop.coupons["returnable"]), 201)
    order = await place_and_pay(market, [(1, 2)], points=True)
    await runner.run()
    assert order["payable_fen"] == 2500 - 500 - 1000
    line = order["lines"][0]["id"]

    await refund_lines(runner, market, order["id"], {line: 300})
    assert await member(runtime, market.store_id, user_id) == (300, 0, 0, shop.levels[0])
    assert (await coupon_state(runtime, coupon["id"]))[0] == "used"

    cancel = market.merchant(f"/orders/{order['id']}/cancel")
    expect(await api.client.post(cancel, json={"reason": "缺货"}, headers=market.owner), 200)
    assert await member(runtime, market.store_id, user_id) == (1000, 0, 0, shop.levels[0])
    await runner.run()  # the rest of the payment comes back: nothing more to return
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 1000
    await replay_refund_notifications(runtime, order["id"])
    assert await member(runtime, market.store_id, user_id) == (1000, 0, 0, shop.levels[0])
    assert await coupon_state(runtime, coupon["id"]) == ("available", None, 1)
    found = await benefits(runtime, market.store_id, user_id, order["id"])
    assert found.by_kind[PointsKind.REFUND] == (1000, 0, 0, 2)


async def test_a_platform_coupon_returns_once_no_order_of_the_checkout_keeps_any_of_it(
    api, runtime, runner
):
    shop = await open_shop(api)
    market = await new_shopper(api, shop)
    other_id, other_owner = await api.new_store("第二家店")
    product = await api.create_product(other_id, other_owner, price_fen=6000, stock=10)
    other = dataclasses.replace(market, store_id=other_id, owner=other_owner, products=[product])
    template = await create_platform_template(api, await api.operator(), return_on_refund=True)
    coupon = expect(await claim(api.client, market.shopper, template["id"]), 201)
    body = {
        "address_id": market.address_id,
        "items": [
            {"sku_id": market.skus[0], "quantity": 2},
            {"sku_id": product["skus"][0]["id"], "quantity": 1},
        ],
    }
    placed = expect(
        await api.client.post("/api/v1/me/orders", json=body, headers=market.shopper), 201
    )
    holder, sibling = sorted(placed["orders"], key=lambda o: o["store_id"])
    assert holder["store_id"] == market.store_id
    for order in (holder, sibling):
        await api.confirm_in_cashier(await api.start_payment(market.shopper, order["id"]))
    await runner.run()
    assert await coupon_state(runtime, coupon["id"]) == ("used", holder["id"], 0)

    # The holder comes back whole in two refunds: the sibling still keeps its part.
    line = holder["lines"][0]
    await refund_lines(runner, market, holder["id"], {line["id"]: 1000})
    assert await coupon_state(runtime, coupon["id"]) == ("used", holder["id"], 0)
    await refund_lines(runner, market, holder["id"], {line["id"]: line["payable_fen"] - 1000})
    assert await coupon_state(runtime, coupon["id"]) == ("used", sibling["id"], 0)

    line = sibling["lines"][0]
    await refund_lines(runner, other, sibling["id"], {line["id"]: line["payable_fen"]})
    assert await coupon_state(runtime, coupon["id"]) == ("available", None, 1)
    for order in (holder, sibling):
        await replay_refund_notifications(runtime, order["id"])
    assert await coupon_state(runtime, coupon["id"]) == ("available", None, 1)


async def test_refunds_told_at_once_and_told_again_return_exactly_what_was_spent(
    api, runtime, runner
):
    shop = await open_shop(api)
    market = await new_shopper(api, shop)
    user_id = await make_member(api, market.store_id, market.shopper)
    await adjust(market, user_id, 1000)
    order = await place_and_pay(market, [(1, 2)], points=True)
    await runner.run()
    assert order["payable_fen"] == 2500 - 1000
    line = order["lines"][0]["id"]
    for amount in (500, 333, 667):  # asked, not yet sent
        expect(await ask_refund(market, order["id"], {line: amount}), 201)
    async with runtime.db.session(write=False) as session:
        pending = list(await session.scalars(select(Refund).where(Refund.order_id == order["id"])))

    async def tell(refund: Refund) -> str:
        async with runtime.db.transaction() as session:
            update = success_of(refund, f"SIM{refund.id}")
            return await refunds.apply_refund_update(session, "sandbox", update)

    # Each refund's success told three times at once, every refund at the same time.
    told = await asyncio.gather(
        *(tell(refund) for refund in pending for _ in range(3)), return_exceptions=True
    )
    applied = [answer for answer in told if answer == "applied"]
    lost = [answer for answer in told if answer != "applied"]
    assert len(applied) == len(pending)
    assert all(
        answer == "already_applied" or isinstance(answer, IllegalTransition) for answer in lost
    )
    assert (await api.order(market.shopper, order["id"]))["refunded_fen"] == 1500
    assert await member(runtime, market.store_id, user_id) == (1000, 0, 0, shop.levels[0])
    found = await benefits(runtime, market.store_id, user_id, order["id"])
    assert found.by_kind[PointsKind.REFUND][0] == 1000
    assert len(found.refund_entries) == len(set(found.refund_entries)) <= 3
