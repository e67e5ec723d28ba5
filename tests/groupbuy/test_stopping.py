"""Stopping a campaign ends its groups at once as their deadlines would: an open group fails
and every member's own order is refunded once through the outbox (unpaid ones closed), or,
with the campaign's simulated fill, completes with the members it has; a leader who has not
paid loses the order; completed groups are untouched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.groupbuy.conftest import GroupShop, group_shop
from tests.groupbuy.test_expiry import assert_refunded_once, failing_group
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.groupbuy.membership import STOPPED_REASON
from weshop.orders.models import Order


async def _stop(gshop: GroupShop) -> dict:
    return expect(
        await gshop.api.client.post(
            f"{gshop.base}/{gshop.campaign['id']}/stop", headers=gshop.owner
        ),
        200,
    )


async def test_stopping_fails_open_groups_and_refunds_each_member_once(api, runner, runtime):
    gshop, group_id, expires_at, people = await failing_group(api)
    # A completed group beside it (its 3 units stay sold), and a group whose leader has not
    # paid.
    done_id, done_order, done_leader = await gshop.opened_group()
    for _ in range(2):
        shopper, address = await gshop.shopper()
        joined = expect(await gshop.join(shopper, address, done_id), 201)
        await gshop.pay(shopper, joined["orders"][0]["id"])
    assert (await gshop.group(done_id))["state"] == "completed"
    unpaid_leader, address = await gshop.shopper()
    pending = await gshop.open(unpaid_leader, address)

    stopped = await _stop(gshop)
    assert stopped["status"] == "stopped" and stopped["live"] is False
    # At once, not at the deadline an hour away.
    assert (await gshop.group(group_id))["state"] == "refunding"
    await runner.run(utcnow() + timedelta(seconds=1))
    pending_order = await api.order(unpaid_leader, pending["orders"][0]["id"])
    assert pending_order["status"] == "cancelled" and pending_order["refunded_fen"] == 0
    async with runtime.db.session() as session:
        reasons = {
            order.id: order.cancel_reason
            for order in await session.scalars(
                select(Order).where(Order.id.in_([order_id for _, order_id, _ in people]))
            )
        }
    assert set(reasons.values()) == {STOPPED_REASON}
    await assert_refunded_once(api, runtime, gshop, group_id, people, sold_elsewhere=3)
    assert (await gshop.group(done_id))["state"] == "completed"
    assert (await api.order(done_leader, done_order["id"]))["status"] == "paid"
    # The deadline, come later, changes nothing.
    await runner.run(expires_at + timedelta(seconds=1))
    await assert_refunded_once(api, runtime, gshop, group_id, people, sold_elsewhere=3)
    figures = await gshop.figures()
    assert (figures["groups_completed"], figures["groups_failed"]) == (1, 1)


async def test_stopping_completes_open_groups_by_the_simulated_fill(api, runner):
    gshop = await group_shop(api, simulated_fill=True)
    group_id, order, leader = await gshop.opened_group()
    unpaid, address = await gshop.shopper()
    joined = expect(await gshop.join(unpaid, address, group_id), 201)
    await _stop(gshop)
    group = await gshop.group(group_id)
    assert group["state"] == "completed" and group["simulated"] is True
    assert group["member_count"] == 1
    await runner.run(utcnow() + timedelta(seconds=1))
    assert (await api.order(unpaid, joined["orders"][0]["id"]))["status"] == "cancelled"
    assert (await api.order(leader, order["id"]))["status"] == "paid"
    shipped = await api.client.post(
        f"/api/v1/merchant/stores/{gshop.store_id}/orders/{order['id']}/shipments",
        json={"packages": [{"carrier": "顺丰", "tracking_no": "SF1234567890"}]},
        headers=gshop.owner,
    )
    assert shipped.status_code == 200, shipped.text


async def test_a_leader_paying_after_the_stop_opens_no_group_and_is_refunded(api, runner, gshop):
    leader, address = await gshop.shopper()
    opened = await gshop.open(leader, address)
    order_id = opened["orders"][0]["id"]
    await _stop(gshop)
    # Paid before the worker closed the order.
    await gshop.pay(leader, order_id)
    assert (await api.client.get(f"/api/v1/shop/groups/{opened['group_id']}")).status_code == 404
    await runner.run(utcnow() + timedelta(seconds=1))
    order = await api.order(leader, order_id)
    assert order["status"] == "cancelled"
    assert order["refunded_fen"] == order["paid_fen"] > 0
    assert (await gshop.campaign_now())["sold"] == 0
