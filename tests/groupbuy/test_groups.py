"""Opening, joining and paying: a group takes a place per paid member and completes with
the N-th; its orders ship only then; a payment for a filled group gets the campaign's policy;
a member who leaves frees the place; stock and the per-shopper limit come back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.groupbuy.conftest import GroupShop, group_shop
from tests.inventory.warehouse_shop import WarehouseShop, check_sums
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.groupbuy.models import GroupMember
from weshop.orders.models import Order


def ship_body() -> dict:
    return {"packages": [{"carrier": "顺丰", "tracking_no": "SF1234567890"}]}


async def ship(gshop: GroupShop, order_id: int):
    return await gshop.api.client.post(
        f"/api/v1/merchant/stores/{gshop.store_id}/orders/{order_id}/shipments",
        json=ship_body(),
        headers=gshop.owner,
    )


async def members(runtime, group_id: int) -> list[GroupMember]:
    async with runtime.db.session() as session:
        return list(
            await session.scalars(
                select(GroupMember).where(GroupMember.group_id == group_id).order_by(GroupMember.id)
            )
        )


async def test_the_third_paid_member_completes_the_group_and_its_orders_ship(
    api, runner, runtime, gshop: GroupShop
):
    leader, address = await gshop.shopper()
    opened = await gshop.open(leader, address)
    group_id, order = opened["group_id"], opened["orders"][0]
    # The same shape as checkout, at the group price, explained in the quote.
    assert opened["payable_fen"] == order["payable_fen"] == 4000
    assert order["price_breakdown"]["lines"][0]["unit_price_fen"] == 4000
    # Not shown before the leader pays.
    assert (await api.client.get(f"/api/v1/shop/groups/{group_id}")).status_code == 404
    await gshop.pay(leader, order["id"])
    group = await gshop.group(group_id)
    assert group["state"] == "open" and group["member_count"] == 1 and group["missing"] == 2
    assert group["members"][0]["role"] == "leader"
    assert "*" in group["members"][0]["name"]  # masked
    listed = expect(
        await api.client.get(f"/api/v1/shop/products/{gshop.product['id']}/group-buy"), 200
    )
    assert [g["id"] for g in listed["open_groups"]] == [group_id]
    held = await ship(gshop, order["id"])
    assert held.status_code == 409 and held.json()["error"]["code"] == "shipping_held"

    orders = [order["id"]]
    for count in (2, 3):
        joiner, joiner_address = await gshop.shopper()
        joined = expect(await gshop.join(joiner, joiner_address, group_id), 201)
        assert joined["group_id"] == group_id
        # Ordering takes no place: only paying does.
        assert (await gshop.group(group_id))["member_count"] == count - 1
        await gshop.pay(joiner, joined["orders"][0]["id"])
        orders.append(joined["orders"][0]["id"])
        assert (await gshop.group(group_id))["member_count"] == count
    group = await gshop.group(group_id)
    assert group["state"] == "completed" and group["missing"] == 0
    assert group["completed_at"] is not None and group["simulated"] is False
    # The worker lets the orders ship right after the completion commits.
    await runner.run()
    for order_id in orders:
        assert (await ship(gshop, order_id)).status_code == 200
    async with runtime.db.session() as session:
        for row in await session.scalars(select(Order).where(Order.id.in_(orders))):
            assert (row.campaign_kind, row.campaign_id) == ("group", gshop.campaign["id"])
    figures = await gshop.figures()
    assert figures == {
        "groups_opened": 1,
        "groups_completed": 1,
        "groups_failed": 0,
        "groups_open": 0,
        "success_rate_percent": 100,
        "paid_members": 3,
        "new_customers": 3,
        "gmv_fen": 3 * 4000,
    }
    [staff_view] = await gshop.staff_groups()
    assert [m["order_id"] for m in staff_view["members"]] == orders
    assert {m["state"] for m in staff_view["members"]} == {"joined"}


async def test_a_completed_group_is_joined_no_more(api, gshop: GroupShop):
    group_id, _, _ = await gshop.opened_group()
    for _ in range(2):
        joiner, address = await gshop.shopper()
        joined = expect(await gshop.join(joiner, address, group_id), 201)
        await gshop.pay(joiner, joined["orders"][0]["id"])
    late, address = await gshop.shopper()
    refused = await gshop.join(late, address, group_id)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "group_closed"


async def test_a_leader_price_is_charged_to_the_leader_only(api):
    gshop = await group_shop(api)
    sku = gshop.sku_id
    expect(
        await api.client.patch(
            f"{gshop.base}/{gshop.campaign['id']}",
            json={
                "name": "团长特惠",
                "prices": [{"sku_id": sku, "price_fen": 4000, "leader_price_fen": 3000}],
                "stock": 50,
                "per_shopper_limit": 2,
                "starts_at": gshop.campaign["starts_at"],
                "ends_at": gshop.campaign["ends_at"],
            },
            headers=gshop.owner,
        ),
        200,
    )
    group_id, order, _ = await gshop.opened_group()
    assert order["payable_fen"] == 3000
    joiner, address = await gshop.shopper()
    joined = expect(await gshop.join(joiner, address, group_id), 201)
    assert joined["payable_fen"] == 4000


async def test_a_payment_for_a_full_group_leads_a_new_group(api, runtime, gshop: GroupShop):
    group_id, _, _ = await gshop.opened_group()
    joiners = []
    for _ in range(3):
        shopper, address = await gshop.shopper()
        joined = expect(await gshop.join(shopper, address, group_id), 201)
        joiners.append((shopper, joined["orders"][0]["id"]))
    for shopper, order_id in joiners:
        await gshop.pay(shopper, order_id)
    assert (await gshop.group(group_id))["member_count"] == 3
    rows = await members(runtime, group_id)
    assert len(rows) == 3
    async with runtime.db.session() as session:
        moved = await session.scalar(
            select(GroupMember).where(GroupMember.order_id == joiners[2][1])
        )
    assert moved.group_id != group_id and moved.role == "leader" and moved.status == "joined"
    new_group = await gshop.group(moved.group_id)
    assert new_group["state"] == "open" and new_group["member_count"] == 1
    # The moved shopper's order still waits for the new group.
    held = await ship(gshop, joiners[2][1])
    assert held.status_code == 409 and held.json()["error"]["code"] == "shipping_held"


async def test_a_payment_for_a_full_group_is_refunded_by_the_refund_policy(api, runner, runtime):
    gshop = await group_shop(api, full_group_policy="refund")
    group_id, _, _ = await gshop.opened_group()
    joiners = []
    for _ in range(3):
        shopper, address = await gshop.shopper()
        joined = expect(await gshop.join(shopper, address, group_id), 201)
        joiners.append((shopper, joined["orders"][0]["id"]))
    for shopper, order_id in joiners:
        await gshop.pay(shopper, order_id)
    late_shopper, late_order = joiners[2]
    await runner.run()
    order = await api.order(late_shopper, late_order)
    assert order["status"] == "cancelled"
    assert order["refunded_fen"] == order["paid_fen"] == 4000
    assert (await gshop.group(group_id))["state"] == "completed"
    async with runtime.db.session() as session:
        member = await session.scalar(select(GroupMember).where(GroupMember.order_id == late_order))
    assert member.status == "refunded" and member.group_id == group_id
    assert (await gshop.campaign_now())["sold"] == 3


async def test_a_member_who_cancels_before_completion_frees_the_place(
    api, runner, runtime, gshop: GroupShop
):
    group_id, _, _ = await gshop.opened_group()
    joiner, address = await gshop.shopper()
    joined = expect(await gshop.join(joiner, address, group_id), 201)
    order_id = joined["orders"][0]["id"]
    await gshop.pay(joiner, order_id)
    assert (await gshop.group(group_id))["member_count"] == 2
    assert (await gshop.campaign_now())["sold"] == 2
    expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{gshop.store_id}/orders/{order_id}/cancel",
            json={"reason": "不想拼了"},
            headers=gshop.owner,
        ),
        200,
    )
    group = await gshop.group(group_id)
    assert group["state"] == "open" and group["member_count"] == 1 and group["missing"] == 2
    assert (await gshop.campaign_now())["sold"] == 1
    await runner.run()
    refunded = await api.order(joiner, order_id)
    assert refunded["refunded_fen"] == refunded["paid_fen"]
    rows = {m.order_id: m.status for m in await members(runtime, group_id)}
    assert rows[order_id] == "left"
    # The place is free: the same shopper (limit 2) may join again.
    again = expect(await gshop.join(joiner, address, group_id), 201)
    assert again["group_id"] == group_id


async def test_an_unpaid_group_is_abandoned_and_its_stock_comes_back(
    api, runner, runtime, gshop: GroupShop
):
    leader, address = await gshop.shopper()
    opened = await gshop.open(leader, address)
    assert (await gshop.campaign_now())["sold"] == 1
    await runner.run(utcnow() + timedelta(hours=2))
    assert (await api.order(leader, opened["orders"][0]["id"]))["status"] == "cancelled"
    assert (await gshop.campaign_now())["sold"] == 0
    assert await gshop.staff_groups() == []
    [abandoned] = await gshop.staff_groups(status="abandoned")
    assert abandoned["members"][0]["state"] == "left"
    # A joiner's unpaid order just expires and frees nothing it never took.
    group_id, _, _ = await gshop.opened_group()
    joiner, joiner_address = await gshop.shopper()
    expect(await gshop.join(joiner, joiner_address, group_id), 201)
    await runner.run(utcnow() + timedelta(minutes=40))
    group = await gshop.group(group_id)
    assert group["state"] == "open" and group["member_count"] == 1


async def test_stock_and_the_per_shopper_limit_hold(api, runner):
    gshop = await group_shop(api, stock=2, per_shopper_limit=1)
    shopper, address = await gshop.shopper()
    first = await gshop.open(shopper, address)
    again = await api.client.post(
        "/api/v1/me/groups",
        json={"campaign_id": gshop.campaign["id"], "sku_id": gshop.sku_id, "address_id": address},
        headers=shopper,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "limit_reached"
    other, other_address = await gshop.shopper()
    await gshop.open(other, other_address)
    third, third_address = await gshop.shopper()
    sold_out = await api.client.post(
        "/api/v1/me/groups",
        json={
            "campaign_id": gshop.campaign["id"],
            "sku_id": gshop.sku_id,
            "address_id": third_address,
        },
        headers=third,
    )
    assert sold_out.status_code == 409 and sold_out.json()["error"]["code"] == "sold_out"
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{first['orders'][0]['id']}/cancel", json={}, headers=shopper
        ),
        200,
    )
    # The unit and the shopper's limit are back.
    assert (await gshop.campaign_now())["sold"] == 1
    await gshop.open(shopper, address)


async def test_joining_is_refused_clearly(api, gshop: GroupShop):
    group_id, _, leader = await gshop.opened_group()
    _, leader_address = await gshop.shopper()
    own = await gshop.join(leader, leader_address, group_id)
    assert own.status_code in (403, 404, 409)  # the address is not the leader's
    leader_addresses = expect(await api.client.get("/api/v1/me/addresses", headers=leader), 200)
    own = await gshop.join(leader, leader_addresses[0]["id"], group_id)
    assert own.status_code == 409 and own.json()["error"]["code"] == "already_member"
    joiner, address = await gshop.shopper()
    other_sku = await gshop.join(joiner, address, group_id, sku_id=999999)
    assert other_sku.status_code == 422 and other_sku.json()["error"]["code"] == "unknown_sku"
    missing = await gshop.join(joiner, address, 999999)
    assert missing.status_code == 404
    expect(
        await api.client.post(f"{gshop.base}/{gshop.campaign['id']}/stop", headers=gshop.owner),
        200,
    )
    stopped = await gshop.join(joiner, address, group_id)
    assert stopped.status_code == 409 and stopped.json()["error"]["code"] == "campaign_stopped"


async def test_new_customers_only_keeps_earlier_buyers_out(api, runner):
    gshop = await group_shop(api, new_customers_only=True)
    group_id, _, _ = await gshop.opened_group()
    regular, address = await gshop.shopper()
    placed = expect(
        await api.place_order(regular, address, [(gshop.product["skus"][1]["id"], 1)]), 201
    )
    await gshop.pay(regular, placed["orders"][0]["id"])
    refused = await gshop.join(regular, address, group_id)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "new_customers_only"
    newcomer, newcomer_address = await gshop.shopper()
    joined = expect(await gshop.join(newcomer, newcomer_address, group_id), 201)
    await gshop.pay(newcomer, joined["orders"][0]["id"])
    assert (await gshop.figures())["new_customers"] == 2


async def test_my_groups_lists_the_shoppers_groups(api, gshop: GroupShop):
    group_id, order, leader = await gshop.opened_group()
    mine = expect(await api.client.get("/api/v1/me/groups", headers=leader), 200)
    assert [(m["group"]["id"], m["role"], m["state"], m["order_id"]) for m in mine] == [
        (group_id, "leader", "joined", order["id"])
    ]


async def test_group_orders_in_a_store_with_warehouses_are_allocated_and_give_back(
    gshop, runtime, runner
):
    warehouses = WarehouseShop(gshop.api, gshop.store_id, gshop.owner, [gshop.sku_id])
    main = await warehouses.warehouse("主仓", "上海市")
    local = await warehouses.warehouse("杭州仓", "浙江省")
    expect(await warehouses.move(gshop.sku_id, local, 3), 201)
    group_id, order, _ = await gshop.opened_group()
    assert await warehouses.allocation(order["id"]) == [(gshop.sku_id, local, 1, "sold")]
    member, address = await gshop.shopper()
    joined = expect(await gshop.join(member, address, group_id), 201)
    cancel = f"/api/v1/me/orders/{joined['orders'][0]['id']}/cancel"
    expect(await gshop.api.client.post(cancel, json={}, headers=member), 200)
    await runner.run()
    assert await warehouses.stock(gshop.sku_id) == {main: (200, 0), local: (2, 0)}
    await check_sums(runtime, gshop.store_id)
