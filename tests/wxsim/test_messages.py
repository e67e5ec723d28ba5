"""Messages: consent allows one message per acceptance, WeChat's errors in WeChat's order of
concern, the keyword rules (47003), template messages to followers only, and the inbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, STORE_MINIPROGRAM, errcode, token_of
from weshop.wxsim.simulator import WxSim
from weshop.wxsim.templates import RULES

SHIPPED = {
    "character_string1": {"value": "WS20260310-0001"},
    "thing2": {"value": "有机大米 5kg"},
    "thing3": {"value": "顺丰速运"},
    "character_string4": {"value": "SF1234567890"},
}


async def send(client: httpx.AsyncClient, token: str, path: str, body: dict[str, Any]):
    return await client.post(f"/cgi-bin/message/{path}", params={"access_token": token}, json=body)


async def test_each_acceptance_allows_one_message(client, sim: WxSim) -> None:
    token = await token_of(client, sim, MINIPROGRAM)
    template_id = sim.subscribe_templates(MINIPROGRAM)["order_shipped"]
    openid = sim.openid_of(MINIPROGRAM, "lina")
    body = {
        "touser": openid,
        "template_id": template_id,
        "page": "pages/order/index?id=1",
        "data": SHIPPED,
    }
    assert errcode(await send(client, token, "subscribe/send", body)) == 43101

    accepted = await client.post(
        "/wxsim/subscriptions",
        json={"appid": MINIPROGRAM, "user": "lina", "template_ids": [template_id]},
    )
    assert accepted.json() == {"errMsg": "requestSubscribeMessage:ok", template_id: "accept"}
    sent = (await send(client, token, "subscribe/send", body)).json()
    assert sent["errcode"] == 0 and sent["errmsg"] == "ok" and sent["msgid"]
    assert errcode(await send(client, token, "subscribe/send", body)) == 43101

    sim.accept_subscription(MINIPROGRAM, openid, [template_id])
    sim.accept_subscription(MINIPROGRAM, openid, [template_id])
    assert errcode(await send(client, token, "subscribe/send", body)) == 0
    assert errcode(await send(client, token, "subscribe/send", body)) == 0
    assert errcode(await send(client, token, "subscribe/send", body)) == 43101

    [newest, *_] = sim.inbox("lina")
    assert newest.title == "订单发货通知"
    assert newest.fields == (
        ("订单编号", "WS20260310-0001"),
        ("商品名称", "有机大米 5kg"),
        ("快递公司", "顺丰速运"),
        ("快递单号", "SF1234567890"),
    )
    assert len(sim.inbox("lina")) == 3 and sim.inbox("wangwei") == []
    listed = (await client.get("/wxsim/inbox.json", params={"user": "lina"})).json()
    assert listed[0]["fields"][2] == {"name": "快递公司", "value": "顺丰速运"}
    assert listed[0]["msgid"] > listed[1]["msgid"]  # newest first
    page = await client.get("/wxsim/inbox")
    assert (
        "订单发货通知" in page.text
        and "SF1234567890" in page.text
        and "还没有收到消息" in page.text
    )
    assert (await client.get("/wxsim/inbox.json", params={"user": "nobody"})).status_code == 404


async def test_errors_of_subscription_sends(client, sim: WxSim) -> None:
    token = await token_of(client, sim, MINIPROGRAM)
    ids = sim.subscribe_templates(MINIPROGRAM)
    openid = sim.openid_of(MINIPROGRAM, "lina")
    sim.accept_subscription(MINIPROGRAM, openid, [ids["order_shipped"]])
    body = {"touser": openid, "template_id": ids["order_shipped"], "data": SHIPPED}

    official_openid = sim.openid_of(OFFICIAL, "lina")
    assert (
        errcode(await send(client, token, "subscribe/send", {**body, "touser": official_openid}))
        == 40003
    )
    assert (
        errcode(await send(client, token, "subscribe/send", {**body, "template_id": "x" * 43}))
        == 40037
    )
    staff = sim.staff_templates(OFFICIAL)["new_order"]
    assert (
        errcode(await send(client, token, "subscribe/send", {**body, "template_id": staff}))
        == 40037
    )
    assert (
        errcode(await send(client, token, "subscribe/send", {**body, "page": "pages/nope/index"}))
        == 41030
    )
    missing = {key: value for key, value in SHIPPED.items() if key != "thing3"}
    refused = await send(client, token, "subscribe/send", {**body, "data": missing})
    assert errcode(refused) == 47003 and "data.thing3.value" in refused.json()["errmsg"]
    # None of these used the consent.
    assert errcode(await send(client, token, "subscribe/send", body)) == 0

    official = await token_of(client, sim, OFFICIAL)
    assert errcode(await send(client, official, "subscribe/send", body)) == 48001
    assert errcode(await send(client, token, "subscribe/bizsend", body)) == 48001
    assert errcode(await send(client, "expired-or-forged", "subscribe/send", body)) == 40001

    # A store's own mini-program has the same template ids (configured per kind).
    assert sim.subscribe_templates(STORE_MINIPROGRAM) == ids


async def test_the_official_account_sends_notices_and_template_messages(client, sim: WxSim) -> None:
    token = await token_of(client, sim, OFFICIAL)
    notice = sim.subscribe_templates(OFFICIAL)["refund_succeeded"]
    assert notice != sim.subscribe_templates(MINIPROGRAM)["refund_succeeded"]
    openid = sim.openid_of(OFFICIAL, "zhangmin")
    sim.accept_subscription(OFFICIAL, openid, [notice])
    refund = {
        "character_string1": {"value": "WS1"},
        "amount2": {"value": "¥19.90"},
        "time3": {"value": "2026年3月10日 10:05"},
    }
    body = {
        "touser": openid,
        "template_id": notice,
        "page": "https://shop.test/orders/1",
        "data": refund,
    }
    assert errcode(await send(client, token, "subscribe/bizsend", body)) == 0

    staff = sim.staff_templates(OFFICIAL)["low_stock"]
    stock = {
        "thing1": {"value": "有机大米"},
        "thing2": {"value": "5kg 装"},
        "number3": {"value": 3},
    }
    message = {
        "touser": openid,
        "template_id": staff,
        "url": "https://shop.test/console",
        "data": stock,
    }
    sent = (await send(client, token, "template/send", message)).json()
    assert sent["errcode"] == 0 and isinstance(sent["msgid"], int)
    follower_not = {**message, "touser": sim.openid_of(OFFICIAL, "chenjing")}
    assert errcode(await send(client, token, "template/send", follower_not)) == 43004
    assert (
        errcode(await send(client, token, "template/send", {**message, "template_id": notice}))
        == 40037
    )
    mini = await token_of(client, sim, MINIPROGRAM)
    assert errcode(await send(client, mini, "template/send", message)) == 48001
    titles = [message.title for message in sim.inbox("zhangmin")]
    assert titles == ["库存不足提醒", "退款成功通知"]
    assert sim.inbox("zhangmin")[0].link == "https://shop.test/console"


async def test_consent_only_for_the_apps_users_and_subscription_templates(
    client, sim: WxSim
) -> None:
    ids = sim.subscribe_templates(MINIPROGRAM)
    with pytest.raises(ValueError):
        sim.accept_subscription(MINIPROGRAM, sim.openid_of(OFFICIAL, "lina"), [ids["order_paid"]])
    with pytest.raises(ValueError):
        sim.accept_subscription(OFFICIAL, sim.openid_of(OFFICIAL, "lina"), [ids["order_paid"]] * 0)
    staff = sim.staff_templates(OFFICIAL)["new_order"]
    refused = await client.post(
        "/wxsim/subscriptions", json={"appid": OFFICIAL, "user": "lina", "template_ids": [staff]}
    )
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("thing", ["有机大米 5kg", "x" * 20, "¥9.9 包邮!"], ["x" * 21, "a\nb"]),
        ("character_string", ["WS20260310-0001", "SF_1:2/3", "A" * 32], ["A" * 33, "订单1", "A B"]),
        ("number", ["3", "12.5", "0"], ["-1", "3件", "1e5", "1" * 33]),
        ("amount", ["¥19.90", "19.90元", "￥100", "100"], ["19.999", "¥", "十元", "$12345678901"]),
        (
            "time",
            ["15:01", "2019年10月1日 15:01", "2026-03-10 10:05:00", "9:00~18:00"],
            ["明天", "2026-03-10", "25点"],
        ),
        ("date", ["2019年10月1日", "2026-03-10 10:05"], ["10:05", "三月"]),
        ("phrase", ["配送中", "已签收"], ["配送中了吗呀", "ok", "已 签收"]),
    ],
)
def test_keyword_rules(kind: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert RULES[kind].fullmatch(value), value
    for value in bad:
        assert not RULES[kind].fullmatch(value), value
