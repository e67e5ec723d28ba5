"""Random sequences of what shoppers and the clock do to a group buy (open, join, pay,
cancel, windows running out), checked after every step against the invariants of group
buying: a group never holds more paid members than its size, and holds exactly its members
that paid; it completes exactly when full; the campaign's sold units and each shopper's
units are exactly those of live orders; a refund never exceeds what its order paid."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.groupbuy.conftest import GroupShop, group_shop
from tests.support import Headers
from weshop.core.clock import utcnow
from weshop.groupbuy.models import Group, GroupCampaign, GroupMember, ShopperUnits
from weshop.orders.models import Order

SHOPPERS = 4
ACTIONS = st.lists(
    st.tuples(
        # Weighted towards what moves groups: joining and paying.
        st.sampled_from(
            ["open", "join", "join", "pay", "pay", "pay", "cancel", "staff_cancel", "deadline"]
        ),
        st.integers(0, SHOPPERS - 1),
        st.integers(0, 30),
        st.integers(1, 2),
    ),
    min_size=4,
    max_size=18,
)
LIVE = ("pending", "joined", "rejected")


async def check(runtime, gshop: GroupShop) -> None:
    cid = gshop.campaign["id"]
    async with runtime.db.session() as session:
        campaign = await session.get_one(GroupCampaign, cid)
        groups = list(await session.scalars(select(Group).where(Group.campaign_id == cid)))
        members = list(
            await session.scalars(select(GroupMember).where(GroupMember.campaign_id == cid))
        )
        units = {
            u.user_id: u.units
            for u in await session.scalars(
                select(ShopperUnits).where(ShopperUnits.campaign_id == cid)
            )
        }
        orders = {
            o.id: o
            for o in await session.scalars(
                select(Order).where(Order.id.in_([m.order_id for m in members]))
            )
        }
    by_group = defaultdict(list)
    for member in members:
        by_group[member.group_id].append(member)
    for group in groups:
        joined = [m for m in by_group[group.id] if m.status == "joined"]
        assert 0 <= group.member_count <= group.size
        if group.status == "open":
            assert group.member_count == len(joined), group.id
        if group.status == "completed":
            # It filled; a member refunded after that (staff cancelled before shipping) does
            # not reopen it.
            assert len(joined) <= group.member_count, group.id
        assert (group.status == "completed") == (group.member_count == group.size), group.id
        if group.status == "pending":
            assert group.member_count == 0
    live = [m for m in members if m.status in LIVE]
    assert campaign.sold == sum(m.quantity for m in live)
    held = defaultdict(int)
    for member in live:
        held[member.user_id] += member.quantity
    assert {u: n for u, n in units.items() if n} == dict(held)
    for member in members:
        order = orders[member.order_id]
        assert 0 <= order.refunded_fen <= order.paid_fen
        if member.status in ("pending",):
            assert order.status == "pending_payment"
        if member.status in ("joined", "rejected"):
            assert order.paid_fen > 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=ACTIONS)
async def test_random_journeys_keep_the_invariants(api, runner, runtime, actions):
    gshop = await group_shop(api, group_size=2, per_shopper_limit=3, stock=8)
    shoppers: list[tuple[Headers, int]] = [await gshop.shopper() for _ in range(SHOPPERS)]
    placed: list[tuple[Headers, int]] = []  # (shopper, order id)
    groups: list[int] = []
    clock = utcnow()
    for action, who, pick, quantity in actions:
        shopper, address = shoppers[who]
        if action == "open":
            answer = await api.client.post(
                "/api/v1/me/groups",
                json={
                    "campaign_id": gshop.campaign["id"],
                    "sku_id": gshop.sku_id,
                    "address_id": address,
                    "quantity": quantity,
                },
                headers=shopper,
            )
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                placed.append((shopper, answer.json()["orders"][0]["id"]))
                groups.append(answer.json()["group_id"])
        elif action == "join" and groups:
            answer = await gshop.join(
                shopper, address, groups[pick % len(groups)], quantity=quantity
            )
            assert answer.status_code in (201, 404, 409), answer.text
            if answer.status_code == 201:
                placed.append((shopper, answer.json()["orders"][0]["id"]))
        elif action in ("pay", "cancel", "staff_cancel") and placed:
            owner, order_id = placed[pick % len(placed)]
            order = await api.order(owner, order_id)
            if action == "pay" and order["status"] == "pending_payment":
                await gshop.pay(owner, order_id)
            elif action == "cancel" and order["status"] in ("pending_payment", "paid"):
                path = f"/api/v1/me/orders/{order_id}/cancel"
                answer = await api.client.post(path, json={}, headers=owner)
                assert answer.status_code in (200, 409), answer.text
            elif action == "staff_cancel" and order["status"] == "paid":
                path = f"/api/v1/merchant/stores/{gshop.store_id}/orders/{order_id}/cancel"
                answer = await api.client.post(path, json={}, headers=gshop.owner)
                assert answer.status_code == 200, answer.text
        elif action == "deadline":
            clock += timedelta(minutes=70)
            await runner.run(clock)
        await runner.run(clock)
        await check(runtime, gshop)
