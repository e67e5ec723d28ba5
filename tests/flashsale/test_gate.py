"""The Redis gate's Lua scripts against a model, for any sequence of attempts and releases
(hypothesis): stock never below zero, never a shopper above the limit, every unit either left
or held by exactly one accepted token, a token accepted at most once; and a unit given back
after a commit (the outbox) reaches Redis once, also when the worker died after claiming it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import TEST_REDIS_URL
from tests.flashsale.conftest import attempt, open_flash, redis_stock, shoppers
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.flashsale.gate import Wanted, gate_of
from weshop.flashsale.models import FlashAttempt

pytestmark = pytest.mark.skipif(not TEST_REDIS_URL, reason="the Redis gate needs Redis")

STOCK, LIMIT = 7, 2
steps = st.lists(
    st.tuples(
        st.sampled_from(["attempt", "release", "forget"]),
        st.integers(1, 4),  # shopper
        st.integers(1, 6),  # token
        st.integers(1, 3),  # quantity
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
async def test_the_gate_never_oversells_nor_exceeds_a_limit(runtime, sequence):
    gate = gate_of(runtime)
    item_id = 777_000
    await gate.drop([item_id])
    assert await gate.replace(item_id, None, Wanted(STOCK, LIMIT, 0, {}, {}, {}))
    held: dict[tuple[int, int], int] = {}  # live accepted tokens -> units
    seen: set[tuple[int, int]] = set()
    for action, user, token, quantity in sequence:
        key = (user, token)
        if action == "attempt":
            verdict = await gate.attempt(item_id, user, str(token), quantity, 1)
            if key in seen:
                assert verdict == "repeat"
                continue
            units = sum(q for (u, _), q in held.items() if u == user)
            left = STOCK - sum(held.values())
            expected = (
                "limit_reached"
                if units + quantity > LIMIT
                else "sold_out"
                if quantity > left
                else "accepted"
            )
            assert verdict == expected
            if verdict == "accepted":
                held[key] = quantity
                seen.add(key)
        else:
            given_back = await gate.release(
                item_id, user, str(token), give_stock=True, forget=action == "forget"
            )
            assert given_back == held.pop(key, 0)
            if action == "forget":
                seen.discard(key)
        state = await gate.read(item_id)
        assert state.stock == STOCK - sum(held.values()) >= 0
        assert all(units <= LIMIT for units in state.shoppers.values())
    await gate.drop([item_id])


async def test_a_unit_given_back_reaches_redis_once_even_if_the_worker_died(
    api, runtime, runner, worker
):
    flash = await open_flash(api, flash_stock=3)
    [shopper] = await shoppers(runtime, 1)
    order_id = expect(await attempt(api.client, flash.item_id, shopper), 201)["order_id"]
    assert await redis_stock(runtime, flash.item_id) == 2
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{order_id}/cancel", json={"reason": "不要了"}, headers=shopper[0]
        ),
        200,
    )
    now = utcnow()
    claimed = await worker.claim(now)  # the worker takes the messages... and dies
    assert claimed
    assert await redis_stock(runtime, flash.item_id) == 2
    later = now + timedelta(minutes=3)  # its lease has run out: another worker takes over
    await runner.run(later)
    assert await redis_stock(runtime, flash.item_id) == 3
    await runner.run(later + timedelta(minutes=3))
    async with runtime.db.session(write=False) as db:
        row = await db.scalar(select(FlashAttempt).where(FlashAttempt.order_id == order_id))
    # The handler again (a retry after its commit failed): nothing more is given back.
    again = await gate_of(runtime).release(
        flash.item_id, row.user_id, row.token, give_stock=True, forget=False
    )
    assert again == 0
    assert await redis_stock(runtime, flash.item_id) == 3
