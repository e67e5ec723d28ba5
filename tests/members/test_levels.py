"""Member levels: a valid ladder only, and members always on the level their growth reaches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.members.support import add_level, make_member, merchant_url, user_id_of
from tests.support import expect
from weshop.members import service
from weshop.members.levels import check_ladder
from weshop.pricing.inputs import MemberDiscount

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def levels_url(store_id: int, path: str = "") -> str:
    return merchant_url(store_id, f"/member-levels{path}")


async def earn(runtime, store_id: int, user_id: int, order_id: int, paid_fen: int):
    async with runtime.db.transaction() as session:
        return await service.earn_for_completed_order(
            session, store_id, user_id, order_id, paid_fen, NOW
        )


async def my_membership(client, shopper, store_id: int) -> dict:
    memberships = expect(await client.get("/api/v1/me/memberships", headers=shopper), 200)
    return next(m for m in memberships if m["store_id"] == store_id)


@pytest.mark.parametrize(
    ("rungs", "code"),
    [
        ([(100, 100)], "base_level_required"),
        ([(0, 100), (100, 95), (100, 90)], "duplicate_threshold"),
        ([(0, 100), (100, 90), (200, 95)], "pay_percent_increases"),
        ([(0, 90), (100, 95)], "pay_percent_increases"),
    ],
)
def test_check_ladder_refuses(rungs, code):
    with pytest.raises(Exception) as raised:
        check_ladder(rungs)
    assert raised.value.code == code and raised.value.status_code == 422


def test_check_ladder_accepts_equal_discounts_and_any_order():
    check_ladder([(500, 90), (0, 100), (100, 90), (1000, 80)])
    check_ladder([])


async def test_ladder_validation_over_http(api, client):
    store_id, owner = await api.new_store()
    cases = [
        ({"name": "银卡", "growth_threshold": 100, "pay_percent": 95}, "base_level_required"),
        ({"name": "普通", "growth_threshold": 0, "pay_percent": 0}, "invalid_input"),
        ({"name": "普通", "growth_threshold": 0, "pay_percent": 101}, "invalid_input"),
        ({"name": "普通", "growth_threshold": -1, "pay_percent": 100}, "invalid_input"),
        ({"name": "", "growth_threshold": 0, "pay_percent": 100}, "invalid_input"),
    ]
    for body, code in cases:
        answer = await client.post(levels_url(store_id), json=body, headers=owner)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == code, body
    base = await add_level(api, store_id, owner, "普通", 0, 100)
    gold = await add_level(api, store_id, owner, "金卡", 1000, 90)
    for body, status, code in [
        ({"name": "银卡", "growth_threshold": 1000, "pay_percent": 95}, 422, "duplicate_threshold"),
        (
            {"name": "银卡", "growth_threshold": 500, "pay_percent": 85},
            422,
            "pay_percent_increases",
        ),
        (
            {"name": "钻石", "growth_threshold": 5000, "pay_percent": 95},
            422,
            "pay_percent_increases",
        ),
        ({"name": "金卡", "growth_threshold": 500, "pay_percent": 95}, 409, "duplicate_level_name"),
    ]:
        answer = await client.post(levels_url(store_id), json=body, headers=owner)
        assert answer.status_code == status and answer.json()["error"]["code"] == code, body
    await add_level(api, store_id, owner, "银卡", 500, 95)

    bad_patch = await client.patch(
        levels_url(store_id, f"/{gold['id']}"), json={"pay_percent": 99}, headers=owner
    )
    assert bad_patch.json()["error"]["code"] == "pay_percent_increases"
    moved_base = await client.patch(
        levels_url(store_id, f"/{base['id']}"), json={"growth_threshold": 1}, headers=owner
    )
    assert moved_base.json()["error"]["code"] == "base_level_required"
    base_gone = await client.delete(levels_url(store_id, f"/{base['id']}"), headers=owner)
    assert base_gone.status_code == 409
    assert base_gone.json()["error"]["code"] == "base_level_required"

    listed = expect(await client.get(levels_url(store_id), headers=owner), 200)
    assert [(lv["name"], lv["growth_threshold"], lv["pay_percent"]) for lv in listed] == [
        ("普通", 0, 100),
        ("银卡", 500, 95),
        ("金卡", 1000, 90),
    ]


async def test_growth_moves_members_up_the_ladder(api, client, runtime):
    store_id, owner = await api.new_store()
    await add_level(api, store_id, owner, "普通", 0, 100)
    silver = await add_level(api, store_id, owner, "银卡", 500, 95)
    gold = await add_level(api, store_id, owner, "金卡", 1000, 90)
    shopper = await api.sign_in()
    user_id = await user_id_of(api, shopper)

    first = await earn(runtime, store_id, user_id, 1, 30000)  # ¥300: growth 300
    assert first is not None and first.growth == 300 and first.level_changed is False
    mine = await my_membership(client, shopper, store_id)
    assert mine["level"]["name"] == "普通" and mine["growth_value"] == 300
    assert mine["next_level"] == {
        "id": silver["id"],
        "name": "银卡",
        "growth_threshold": 500,
        "growth_needed": 200,
    }

    second = await earn(runtime, store_id, user_id, 2, 20000)
    assert second.level_changed and second.level_id == silver["id"]
    third = await earn(runtime, store_id, user_id, 3, 60099)  # growth 600 (fen round down)
    assert third.level_id == gold["id"] and third.growth == 600
    mine = await my_membership(client, shopper, store_id)
    assert mine["level"] == {"id": gold["id"], "name": "金卡", "pay_percent": 90}
    assert mine["growth_value"] == 1100 and mine["next_level"] is None

    async with runtime.db.session(write=False) as session:
        discounts = (await service.member_pricing(session, user_id, [store_id, 999], {})).discounts
    assert discounts == (
        MemberDiscount(store_id=store_id, level_id=gold["id"], level_name="金卡", pay_percent=90),
    )


async def test_changing_the_ladder_relevels_members(api, client, runtime):
    store_id, owner = await api.new_store()
    shopper = await api.sign_in()
    user_id = await make_member(api, store_id, shopper)
    await earn(runtime, store_id, user_id, 1, 80000)  # growth 800, no levels yet
    assert (await my_membership(client, shopper, store_id))["level"] is None
    async with runtime.db.session(write=False) as session:
        assert (await service.member_pricing(session, user_id, [store_id], {})).discounts == ()

    base = await add_level(api, store_id, owner, "普通", 0, 100)
    assert (await my_membership(client, shopper, store_id))["level"]["id"] == base["id"]
    vip = await add_level(api, store_id, owner, "VIP", 1000, 80)
    assert (await my_membership(client, shopper, store_id))["level"]["id"] == base["id"]

    expect(
        await client.patch(
            levels_url(store_id, f"/{vip['id']}"), json={"growth_threshold": 800}, headers=owner
        ),
        200,
    )
    assert (await my_membership(client, shopper, store_id))["level"]["id"] == vip["id"]
    async with runtime.db.session(write=False) as session:
        (discount,) = (await service.member_pricing(session, user_id, [store_id], {})).discounts
    assert discount.pay_percent == 80 and discount.level_name == "VIP"

    expect(await client.delete(levels_url(store_id, f"/{vip['id']}"), headers=owner), 204)
    assert (await my_membership(client, shopper, store_id))["level"]["id"] == base["id"]
    expect(await client.delete(levels_url(store_id, f"/{base['id']}"), headers=owner), 204)
    assert (await my_membership(client, shopper, store_id))["level"] is None


async def test_levels_of_another_store_answer_404_and_roles_apply(api, client):
    store_a, owner_a = await api.new_store()
    store_b, owner_b = await api.new_store()
    theirs = await add_level(api, store_b, owner_b, "普通", 0, 100)
    for method, body in [("PATCH", {"name": "抢"}), ("DELETE", None)]:
        answer = await client.request(
            method, levels_url(store_a, f"/{theirs['id']}"), json=body, headers=owner_a
        )
        assert answer.status_code == 404
    assert (await client.get(levels_url(store_b), headers=owner_a)).status_code == 404

    finance = await api.add_staff(store_a, owner_a, "finance")
    assert (await client.get(levels_url(store_a), headers=finance)).status_code == 403
    service_staff = await api.add_staff(store_a, owner_a, "customer_service")
    expect(await client.get(levels_url(store_a), headers=service_staff), 200)
    refused = await client.post(
        levels_url(store_a),
        json={"name": "普通", "growth_threshold": 0, "pay_percent": 100},
        headers=service_staff,
    )
    assert refused.status_code == 403
    operator = await api.add_staff(store_a, owner_a, "operator")
    await add_level(api, store_a, operator, "普通", 0, 100)
