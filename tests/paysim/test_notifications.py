"""Callbacks are retried on WeChat Pay's schedule until acknowledged (200 or 204), each attempt
signed afresh; the clock is driven by the test, nothing sleeps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from tests.paysim.fixtures import NOTIFY_URL, pay_at_cashier
from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.transactions import TradeType
from weshop.paysim.notifier import RETRY_SCHEDULE_SECONDS

OFFICIAL_SCHEDULE = "15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h"


def seconds(text: str) -> int:
    unit = {"s": 1, "m": 60, "h": 3600}[text[-1]]
    return int(text[:-1]) * unit


async def paid(direct, cashier) -> None:
    answer = await direct.transactions.create(
        TradeType.NATIVE, out_trade_no="NOTIFY000001", description="x", total_fen=100,
        notify_url=NOTIFY_URL,
    )  # fmt: skip
    await pay_at_cashier(cashier, code_url=answer["code_url"])


def test_the_schedule_is_wechat_pays() -> None:
    assert tuple(seconds(step) for step in OFFICIAL_SCHEDULE.split("/")) == RETRY_SCHEDULE_SECONDS


async def test_unacknowledged_callback_follows_the_schedule_then_stops(
    direct, sim, cashier, inbox, clock
) -> None:
    inbox.status = 500
    start = clock()
    await paid(direct, cashier)  # first attempt, at once
    for step in RETRY_SCHEDULE_SECONDS:
        clock.advance(seconds=step - 1)
        assert await sim.process_due() == 0
        clock.advance(seconds=1)
        await sim.process_due()
    clock.advance(days=2)
    await sim.process_due()

    offsets = [(d.at - start).total_seconds() for d in inbox.deliveries]
    expected, at = [0.0], 0
    for step in RETRY_SCHEDULE_SECONDS:
        at += step
        expected.append(float(at))
    assert offsets == expected  # 16 attempts over 24h4m, then given up
    assert len({d.headers["Wechatpay-Nonce"] for d in inbox.deliveries}) == 16
    assert len({d.body for d in inbox.deliveries}) == 1  # same callback, signed afresh


async def test_retries_stop_once_acknowledged(direct, sim, cashier, inbox, clock) -> None:
    answers = iter([503, 0, 204])

    async def flaky(_headers: Mapping[str, str], _body: bytes) -> int:
        return next(answers)

    inbox.handler = flaky
    await paid(direct, cashier)
    clock.advance(seconds=15)
    await sim.process_due()
    clock.advance(seconds=15)
    assert await sim.process_due() == 1
    clock.advance(hours=30)
    await sim.process_due()
    assert len(inbox.deliveries) == 3
    notification_id = sim.store.one("SELECT id FROM notifications")["id"]
    attempts = sim.notifier.attempts(notification_id)
    assert [a.status for a in attempts] == [503, 0, 204]


async def test_each_attempt_is_signed_at_its_own_time(
    direct, sim, cashier, inbox, clock, platform
) -> None:
    inbox.status = 404
    await paid(direct, cashier)
    clock.advance(seconds=15)
    await sim.process_due()
    first, second = inbox.deliveries
    assert (
        int(second.headers["Wechatpay-Timestamp"]) - int(first.headers["Wechatpay-Timestamp"]) == 15
    )
    for delivery in (first, second):
        message = crypto.response_message(
            delivery.headers["Wechatpay-Timestamp"],
            delivery.headers["Wechatpay-Nonce"],
            delivery.body,
        )
        assert delivery.headers["Wechatpay-Serial"] == platform.serial
        assert crypto.verify(
            platform.private_key.public_key(), message, delivery.headers["Wechatpay-Signature"]
        )
    assert clock() - first.at == timedelta(seconds=15)
