"""The platform's affiliate policy: defaults, bounds, and no third level of commission."""

from __future__ import annotations

import pytest

from tests.affiliates.conftest import POLICY
from tests.support import expect


async def test_the_defaults_hold_until_the_policy_is_set(api):
    operator = await api.operator()
    policy = expect(await api.client.get(POLICY, headers=operator), 200)
    assert policy == {
        "max_depth": 1,
        "binding_window_days": 7,
        "min_withdrawal_fen": 100,
        "after_sales_freeze_days": 7,
        "max_split_bps": 3000,
        "updated_at": None,
    }


async def test_an_operator_sets_two_levels_and_the_rest(api):
    operator = await api.operator()
    body = {
        "max_depth": 2,
        "binding_window_days": 30,
        "min_withdrawal_fen": 1000,
        "after_sales_freeze_days": 15,
    }
    expect(await api.client.put(POLICY, json=body, headers=operator), 200)
    policy = expect(await api.client.get(POLICY, headers=operator), 200)
    assert {k: policy[k] for k in body} == body and policy["updated_at"] is not None
    # A field left out takes its default again.
    expect(await api.client.put(POLICY, json={"max_depth": 2}, headers=operator), 200)
    assert expect(await api.client.get(POLICY, headers=operator), 200)["binding_window_days"] == 7


@pytest.mark.parametrize("depth", [3, 4, 100])
async def test_three_levels_or_more_are_refused_as_pyramid_selling(api, depth):
    operator = await api.operator()
    answer = await api.client.put(POLICY, json={"max_depth": depth}, headers=operator)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "depth_not_allowed" and "pyramid" in error["message"]
    assert expect(await api.client.get(POLICY, headers=operator), 200)["updated_at"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"max_depth": 0},
        {"binding_window_days": 0},
        {"binding_window_days": 31},
        {"min_withdrawal_fen": -1},
        {"after_sales_freeze_days": 0},
        {"max_depth": "2"},
    ],
)
async def test_bad_values_are_refused_and_nothing_is_written(api, body):
    operator = await api.operator()
    answer = await api.client.put(POLICY, json=body, headers=operator)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_input"
    assert expect(await api.client.get(POLICY, headers=operator), 200)["updated_at"] is None


async def test_only_operators_read_or_set_the_policy(api):
    shopper = await api.sign_in()
    _, owner = await api.new_store()
    for headers in (shopper, owner):
        assert (await api.client.get(POLICY, headers=headers)).status_code == 403
        put = await api.client.put(POLICY, json={"max_depth": 2}, headers=headers)
        assert put.status_code == 403
    assert (await api.client.get(POLICY)).status_code == 401
