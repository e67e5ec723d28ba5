"""Template messages to store staff through the official account: to followers with an
identity under it, 43004 logged for one who does not follow, nothing for one who turned it
off; and the message log is the store's own."""

from __future__ import annotations

import pytest

from tests.orders.test_console import HTML, use_session
from tests.support import expect
from tests.wechat.messages_support import (
    Inbox,
    add_wechat_staff,
    message_log,
    message_templates,  # noqa: F401  (a fixture)
    open_store,
    paid_order,
    store_with_wechat_owner,
    wechat_buyer,
)

pytestmark = pytest.mark.usefixtures("message_templates")


async def test_a_new_order_goes_to_following_staff_and_43004_is_logged(
    api, app, client, runner, wxsim
):
    # wangwei follows the official account; chenjing does not.
    store = await store_with_wechat_owner(api, app, wxsim, "wangwei")
    await add_wechat_staff(api, app, wxsim, store, "chenjing")
    owner_inbox, staff_inbox = Inbox(wxsim, "wangwei"), Inbox(wxsim, "chenjing")
    buyer = await wechat_buyer(api, wxsim, "lina")
    order = await paid_order(api, buyer, store)
    await runner.run()

    assert owner_inbox.titles() == ["新订单通知"]
    fields = dict(owner_inbox.new()[0].fields)
    assert fields["订单编号"] == order["order_no"]
    assert fields["商品名称"] == "纯棉T恤"
    assert owner_inbox.new()[0].link.endswith(f"/console/stores/{store.id}/orders/{order['id']}")
    assert staff_inbox.new() == []
    staff_log = [m for m in await message_log(client, store) if m["channel"] == "staff"]
    assert sorted((m["status"], m["errcode"]) for m in staff_log) == [
        ("refused", 43004),
        ("sent", None),
    ]


async def test_a_staff_member_who_turned_it_off_gets_nothing(api, app, client, runner, wxsim):
    store = await store_with_wechat_owner(api, app, wxsim, "wangwei")
    preferences = f"/api/v1/merchant/stores/{store.id}/wechat/my-message-preferences"
    before = expect(await client.get(preferences, headers=store.owner), 200)
    assert {row["event"]: row["enabled"] for row in before} == {
        "new_order": True,
        "aftersales_requested": True,
        "low_stock": True,
    }
    after = expect(
        await client.put(
            preferences, json={"event": "new_order", "enabled": False}, headers=store.owner
        ),
        200,
    )
    assert {row["event"]: row["enabled"] for row in after}["new_order"] is False
    inbox = Inbox(wxsim, "wangwei")
    buyer = await wechat_buyer(api, wxsim, "lina")
    await paid_order(api, buyer, store)
    await runner.run()

    assert inbox.new() == []
    assert [m for m in await message_log(client, store) if m["channel"] == "staff"] == []


async def test_stock_crossing_its_threshold_tells_the_staff_once(api, app, client, runner, wxsim):
    store = await store_with_wechat_owner(api, app, wxsim, "wangwei")
    inbox = Inbox(wxsim, "wangwei")
    buyer = await wechat_buyer(api, wxsim, "lina")
    expect(
        await client.put(
            f"/api/v1/merchant/stores/{store.id}/skus/{store.sku_id}/low-stock-threshold",
            json={"threshold": 47},
            headers=store.owner,
        ),
        200,
    )
    await paid_order(api, buyer, store, quantity=2)  # 50 → 48: above the threshold
    await paid_order(api, buyer, store, quantity=2)  # 48 → 46: crosses it
    await paid_order(api, buyer, store, quantity=1)  # 46 → 45: already below
    await runner.run()

    low = [message for message in inbox.new() if message.title == "库存不足提醒"]
    assert len(low) == 1
    assert dict(low[0].fields)["剩余库存"] == "46"


async def test_the_message_log_is_the_store_own(api, app, client, runner, wxsim):
    store = await open_store(api)
    other = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "zhangmin")
    await paid_order(api, buyer, store)
    await runner.run()

    assert [m["event"] for m in await message_log(client, store)] == ["order_paid"]
    assert await message_log(client, other) == []
    foreign = await client.get(
        f"/api/v1/merchant/stores/{store.id}/wechat/messages", headers=other.owner
    )
    assert expect(foreign, 404)["error"]["code"] == "not_found"
    use_session(client, other.owner)
    foreign_page = await client.get(f"/console/stores/{store.id}/wechat-messages", headers=HTML)
    assert foreign_page.status_code == 404
    use_session(client, store.owner)
    own_page = await client.get(f"/console/stores/{store.id}/wechat-messages", headers=HTML)
    assert own_page.status_code == 200
    assert "order_paid" not in own_page.text  # named, not shown as ids
    assert own_page.text.count('data-message="') == 1
