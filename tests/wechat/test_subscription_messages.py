"""Subscription messages to shoppers: consent recorded, then exactly one message per event
in wxsim's inbox, only with consent; WeChat's refusals logged and not retried."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.support import expect
from tests.wechat.messages_support import (
    MINIPROGRAM,
    Inbox,
    message_log,
    message_templates,  # noqa: F401  (a fixture)
    open_store,
    paid_order,
    ship,
    subscribe,
    template,
    wechat_buyer,
)
from weshop.core.outbox import OutboxMessage, OutboxStatus
from weshop.core.worker import Worker
from weshop.wechat.messages import SEND_SUBSCRIPTION

pytestmark = pytest.mark.usefixtures("message_templates")


async def standing(client, buyer, event: str) -> int:
    found = expect(
        await client.get(
            "/api/v1/me/wechat/subscriptions", params={"kind": "miniprogram"}, headers=buyer.headers
        ),
        200,
    )
    return next(row["remaining"] for row in found if row["event"] == event)


async def test_the_templates_to_ask_for_and_the_consent_recorded(api, client, wxsim):
    listed = expect(
        await client.get("/api/v1/wechat/subscribe-templates", params={"kind": "miniprogram"}),
        200,
    )
    assert listed["appid"] == MINIPROGRAM
    assert {row["event"]: row["template_id"] for row in listed["templates"]} == (
        wxsim.subscribe_templates(MINIPROGRAM)
    )
    buyer = await wechat_buyer(api, wxsim, "lina")
    unknown = await client.post(
        "/api/v1/me/wechat/subscriptions",
        json={"kind": "miniprogram", "results": {"not-a-template-of-ours": "accept"}},
        headers=buyer.headers,
    )
    assert expect(unknown, 422)["error"]["code"] == "unknown_template"
    assert await standing(client, buyer, "order_shipped") == 0

    shipped, paid = (
        template(wxsim, MINIPROGRAM, "order_shipped"),
        template(wxsim, MINIPROGRAM, "order_paid"),
    )
    answer = expect(
        await client.post(
            "/api/v1/me/wechat/subscriptions",
            json={"kind": "miniprogram", "results": {shipped: "accept", paid: "reject"}},
            headers=buyer.headers,
        ),
        200,
    )
    by_event = {row["event"]: row for row in answer}
    assert by_event["order_shipped"]["remaining"] == 1
    assert by_event["order_shipped"]["last_result"] == "accept"
    assert by_event["order_paid"] == {
        "kind": "miniprogram",
        "event": "order_paid",
        "template_id": paid,
        "remaining": 0,
        "last_result": "reject",
    }
    await subscribe(client, wxsim, buyer, ["order_shipped"])
    assert await standing(client, buyer, "order_shipped") == 2


async def test_consent_then_shipped_sends_exactly_one_message(api, client, runner, wxsim):
    store = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "lina")
    inbox = Inbox(wxsim, "lina")
    # Two accepts: a second message would be allowed by WeChat, so only WeShop keeps it to one.
    await subscribe(client, wxsim, buyer, ["order_shipped"], times=2)
    order = await paid_order(api, buyer, store, quantity=2)
    line = order["lines"][0]["id"]
    await ship(client, store, order, "SF1000001", [{"order_line_id": line, "quantity": 1}])
    await runner.run()
    await ship(client, store, order, "SF1000002")
    await runner.run()

    assert inbox.titles() == ["订单发货通知"]
    fields = dict(inbox.new()[0].fields)
    assert fields["订单编号"] == order["order_no"]
    assert fields["快递公司"] == "顺丰速运"
    assert fields["快递单号"] == "SF1000001"
    assert await standing(client, buyer, "order_shipped") == 1
    log = await message_log(client, store)
    assert [(m["event"], m["status"]) for m in log] == [
        ("order_shipped", "sent"),
        ("order_paid", "no_consent"),
    ]
    assert log[0]["openid"].count("*") == 4
    assert wxsim.openid_of(MINIPROGRAM, "lina") not in str(log)


async def test_without_consent_nothing_is_sent_and_the_log_says_why(api, client, runner, wxsim):
    store = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "wangwei")
    inbox = Inbox(wxsim, "wangwei")
    order = await paid_order(api, buyer, store)
    await ship(client, store, order, "SF2000001")
    await runner.run()

    assert inbox.new() == []
    log = await message_log(client, store)
    assert {(m["event"], m["status"], m["errcode"]) for m in log} == {
        ("order_paid", "no_consent", None),
        ("order_shipped", "no_consent", None),
    }


async def test_a_shopper_without_a_wechat_identity_gets_nothing_and_nothing_is_logged(
    api, client, runner
):
    store = await open_store(api)
    shopper, address_id = await api.buyer()
    placed = expect(await api.place_order(shopper, address_id, [(store.sku_id, 1)]), 201)
    order_id = placed["orders"][0]["id"]
    await api.confirm_in_cashier(await api.start_payment(shopper, order_id))
    await runner.run()
    assert await message_log(client, store) == []


async def test_a_long_product_name_is_cut_to_fit_not_refused(api, client, runner, wxsim):
    title = "超长名称" * 15
    store = await open_store(api, title=title)
    buyer = await wechat_buyer(api, wxsim, "zhangmin")
    inbox = Inbox(wxsim, "zhangmin")
    await subscribe(client, wxsim, buyer, ["order_shipped"])
    order = await paid_order(api, buyer, store)
    await ship(client, store, order, "SF3000001")
    await runner.run()

    [message] = inbox.new()
    product = dict(message.fields)["商品名称"]
    assert len(product) == 20
    assert product == title[:19] + "…"


async def test_bad_data_is_failed_and_not_retried_and_the_consent_given_back(
    api, client, runner, wxsim, runtime, monkeypatch
):
    # The shipped event configured with the delivered template: WeChat answers 47003 (its
    # keyword time3 is missing).
    delivered = template(wxsim, MINIPROGRAM, "order_delivered")
    templates = runtime.settings.wechat_subscribe_templates
    monkeypatch.setitem(templates, "miniprogram.order_shipped", delivered)
    store = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "liuyang")
    inbox = Inbox(wxsim, "liuyang")
    await subscribe(client, wxsim, buyer, ["order_delivered"])
    order = await paid_order(api, buyer, store)
    await ship(client, store, order, "SF4000001")
    await runner.run()

    assert inbox.new() == []
    [failed] = [m for m in await message_log(client, store) if m["event"] == "order_shipped"]
    assert (failed["status"], failed["errcode"], failed["attempts"]) == ("failed", 47003, 1)
    async with runtime.db.session(write=False) as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == SEND_SUBSCRIPTION)
            )
        ).all()
    assert {row.status for row in rows} == {OutboxStatus.DONE}
    assert await runner.run() == 0
    # WeChat used nothing: the accept is there for the next message.
    assert await standing(client, buyer, "order_delivered") == 1


async def test_one_consent_is_used_once_by_concurrent_sends(api, client, runner, wxsim, runtime):
    store = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "lina")
    orders = [await paid_order(api, buyer, store, quantity=1) for _ in range(2)]
    await runner.run()  # the payments' messages (no consent for them)
    inbox = Inbox(wxsim, "lina")
    shipped = template(wxsim, MINIPROGRAM, "order_shipped")
    openid = wxsim.openid_of(MINIPROGRAM, "lina")
    # WeChat would take two; WeShop was told of one accept.
    wxsim.accept_subscription(MINIPROGRAM, openid, [shipped])
    await subscribe(client, wxsim, buyer, ["order_shipped"])
    for number, order in enumerate(orders):
        await ship(client, store, order, f"SF500000{number}")

    # Two workers, one message at a time each, racing for what is due (the two messages).
    workers = [Worker(runtime.db, runtime.handlers, runtime, batch_size=1) for _ in range(2)]
    handled = await asyncio.gather(*(worker.drain() for worker in workers))
    assert sum(handled) >= 2

    assert inbox.titles() == ["订单发货通知"]
    log = [m for m in await message_log(client, store) if m["event"] == "order_shipped"]
    assert sorted(m["status"] for m in log) == ["no_consent", "sent"]
    assert await standing(client, buyer, "order_shipped") == 0


async def test_a_refund_sends_its_message(api, client, runner, wxsim):
    store = await open_store(api)
    buyer = await wechat_buyer(api, wxsim, "wangwei")
    inbox = Inbox(wxsim, "wangwei")
    await subscribe(client, wxsim, buyer, ["refund_succeeded"])
    order = await paid_order(api, buyer, store)
    expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/cancel",
            json={"reason": "不想要了"},
            headers=buyer.headers,
        ),
        200,
    )
    await runner.run()

    assert inbox.titles() == ["退款成功通知"]
    assert (
        dict(inbox.new()[0].fields)["退款金额"]
        == f"¥{order['paid_fen'] // 100}.{order['paid_fen'] % 100:02d}"
    )


@pytest.mark.parametrize("kind", ["official", "miniprogram"])
async def test_the_standing_lists_each_event_of_each_app(api, client, wxsim, kind):
    buyer = await wechat_buyer(api, wxsim, "zhangmin")
    found = expect(
        await client.get(
            "/api/v1/me/wechat/subscriptions", params={"kind": kind}, headers=buyer.headers
        ),
        200,
    )
    assert {row["event"] for row in found} == set(wxsim.subscribe_templates(MINIPROGRAM))
    assert {row["remaining"] for row in found} == {0}
