"""A group still open at its deadline fails: every member's OWN order is cancelled and
refunded through the outbox exactly once (never the leader's twice, never another
member's), also when the worker dies mid-way and another takes over; the campaign's stock
comes back. With the campaign's simulated fill, the group completes instead."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.groupbuy.conftest import GroupShop, group_shop
from tests.support import Headers, expect
from weshop.core.outbox import OutboxMessage
from weshop.groupbuy.membership import GROUP_DEADLINE, REFUND_MEMBER
from weshop.payments.models import Payment, Refund


async def failing_group(api) -> tuple[GroupShop, int, datetime, list[tuple[Headers, int, int]]]:
    """A 3-person group with a leader (paying a leader's price) and a paid joiner, and one
    joiner who has not paid: the group, its deadline, and (shopper, order, paid) of each."""
    gshop = await group_shop(api)
    expect(
        await api.client.patch(
            f"{gshop.base}/{gshop.campaign['id']}",
            json={
                "name": "团长价",
                "prices": [{"sku_id": gshop.sku_id, "price_fen": 4000, "leader_price_fen": 3000}],
                "stock": 50,
                "per_shopper_limit": 2,
                "starts_at": gshop.campaign["starts_at"],
                "ends_at": gshop.campaign["ends_at"],
            },
            headers=gshop.owner,
        ),
        200,
    )
    group_id, order, leader = await gshop.opened_group()
    people = [(leader, order["id"], 3000)]
    paid, address = await gshop.shopper()
    joined = expect(await gshop.join(paid, address, group_id, quantity=2), 201)
    await gshop.pay(paid, joined["orders"][0]["id"])
    people.append((paid, joined["orders"][0]["id"], 8000))
    unpaid, unpaid_address = await gshop.shopper()
    pending = expect(await gshop.join(unpaid, unpaid_address, group_id), 201)
    people.append((unpaid, pending["orders"][0]["id"], 0))
    group = await gshop.group(group_id)
    assert group["member_count"] == 2
    return gshop, group_id, datetime.fromisoformat(group["expires_at"]), people


async def assert_refunded_once(
    api, runtime, gshop: GroupShop, group_id: int, people, *, sold_elsewhere: int = 0
) -> None:
    assert (await gshop.group(group_id))["state"] == "refunded"
    gateway = runtime.components["sandbox_gateway"]
    async with runtime.db.session() as session:
        for shopper, order_id, paid in people:
            order = await api.order(shopper, order_id)
            assert order["status"] == "cancelled"
            assert order["paid_fen"] == paid and order["refunded_fen"] == paid
            refunds = list(await session.scalars(select(Refund).where(Refund.order_id == order_id)))
            if paid == 0:
                assert refunds == []
                continue
            assert [(r.amount_fen, r.status) for r in refunds] == [(paid, "succeeded")]
            payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
            assert (await gateway.transaction(payment.out_trade_no)).refunded_fen == paid
    assert (await gshop.campaign_now())["sold"] == sold_elsewhere


async def test_an_expired_group_refunds_each_members_own_order_once(api, runner, runtime):
    gshop, group_id, expires_at, people = await failing_group(api)
    # Nothing happens before the deadline.
    await runner.run(expires_at - timedelta(minutes=1))
    assert (await gshop.group(group_id))["state"] == "open"
    after = expires_at + timedelta(seconds=1)
    await runner.run(after)
    await assert_refunded_once(api, runtime, gshop, group_id, people)
    [staff] = await gshop.staff_groups()
    assert sorted(m["state"] for m in staff["members"]) == ["left", "refunded", "refunded"]
    figures = await gshop.figures()
    assert figures["groups_failed"] == 1 and figures["success_rate_percent"] == 0
    assert figures["gmv_fen"] == 0
    # Running everything again changes nothing.
    await runner.run(after + timedelta(hours=1))
    await assert_refunded_once(api, runtime, gshop, group_id, people)


async def test_refunds_happen_once_when_the_worker_dies_mid_way(api, runner, runtime, worker):
    gshop, group_id, expires_at, people = await failing_group(api)
    handlers = runtime.handlers.handlers
    original = handlers[REFUND_MEMBER]
    died: set[int] = set()

    async def dies_before_commit(ctx):
        # The whole refund runs, then the process dies before the transaction commits.
        await original(ctx)
        if ctx.payload["member_id"] not in died:
            died.add(ctx.payload["member_id"])
            raise RuntimeError("worker killed")

    now = expires_at + timedelta(seconds=1)
    handlers[REFUND_MEMBER] = dies_before_commit
    try:
        await worker.run_once(now)  # the deadline: the group fails, one message per member
        async with runtime.db.session() as session:
            topics = list(
                await session.scalars(
                    select(OutboxMessage.dedupe_key).where(OutboxMessage.topic == REFUND_MEMBER)
                )
            )
        # The unpaid joiner's payment window closed first (it just left); the two paid
        # members each get one message.
        assert len(topics) == 2 and len(set(topics)) == 2
        assert (await gshop.group(group_id))["state"] == "refunding"
        await worker.run_once(now)  # each refund dies once: nothing of it stays
        assert len(died) == 2
        for shopper, order_id, paid in people:
            order = await api.order(shopper, order_id)
            assert order["status"] == ("paid" if paid else "cancelled")
            assert order["refunded_fen"] == 0
    finally:
        handlers[REFUND_MEMBER] = original
    # A worker that claims the retries and dies before handling any: its lease must pass.
    retry_at = now + timedelta(minutes=1)
    assert await worker.claim(retry_at)
    assert await worker.run_once(retry_at) == 0
    await runner.run(retry_at + timedelta(minutes=5))
    await assert_refunded_once(api, runtime, gshop, group_id, people)
    async with runtime.db.session() as session:
        refunds = await session.scalar(select(func.count()).select_from(Refund))
    assert refunds == 2


async def test_a_deadline_handled_twice_fails_the_group_once(api, runtime, worker, runner):
    gshop, group_id, expires_at, people = await failing_group(api)
    now = expires_at + timedelta(seconds=1)
    # The deadline message again, as a duplicate delivery would bring it.
    async with runtime.db.transaction() as session:
        session.add(OutboxMessage(topic=GROUP_DEADLINE, payload={"group_id": group_id}, due_at=now))
    await runner.run(now)
    await assert_refunded_once(api, runtime, gshop, group_id, people)


async def test_a_simulated_fill_completes_the_group_at_its_deadline(api, runner):
    gshop = await group_shop(api, simulated_fill=True)
    group_id, order, _ = await gshop.opened_group()
    group = await gshop.group(group_id)
    await runner.run(datetime.fromisoformat(group["expires_at"]) + timedelta(seconds=1))
    group = await gshop.group(group_id)
    assert group["state"] == "completed" and group["simulated"] is True
    assert group["member_count"] == 1
    shipped = await api.client.post(
        f"/api/v1/merchant/stores/{gshop.store_id}/orders/{order['id']}/shipments",
        json={"packages": [{"carrier": "顺丰", "tracking_no": "SF1234567890"}]},
        headers=gshop.owner,
    )
    assert shipped.status_code == 200


async def test_a_member_moved_to_a_new_group_is_refunded_when_that_one_fails(
    api, runner, runtime, worker
):
    gshop = await group_shop(api, fill_window_minutes=5)
    first_id, _, _ = await gshop.opened_group()
    late, address = await gshop.shopper()
    joined = expect(await gshop.join(late, address, first_id), 201)
    order_id = joined["orders"][0]["id"]
    expires_at = datetime.fromisoformat((await gshop.group(first_id))["expires_at"])
    handlers = runtime.handlers.handlers
    original = handlers[REFUND_MEMBER]

    async def not_yet(ctx):
        raise RuntimeError("the refunds wait")

    handlers[REFUND_MEMBER] = not_yet
    try:
        await worker.run_once(expires_at + timedelta(seconds=1))  # the first group fails
    finally:
        handlers[REFUND_MEMBER] = original
    assert (await gshop.group(first_id))["state"] == "refunding"
    # The late joiner pays before its refund is handled: the policy gives it a new group.
    await gshop.pay(late, order_id)
    [mine] = expect(await api.client.get("/api/v1/me/groups", headers=late), 200)
    assert mine["group"]["id"] != first_id and mine["role"] == "leader"
    # That group fails in its turn: the member's order is refunded, once.
    await runner.run(expires_at + timedelta(hours=2))
    order = await api.order(late, order_id)
    assert order["status"] == "cancelled"
    assert order["refunded_fen"] == order["paid_fen"] > 0
    assert (await gshop.group(mine["group"]["id"]))["state"] == "refunded"
