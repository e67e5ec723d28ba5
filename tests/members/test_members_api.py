"""Members over HTTP: rules, the staff's member list and adjustments, the shopper's view."""

from __future__ import annotations

from tests.members.support import (
    add_level,
    ledger_totals,
    make_member,
    merchant_url,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.members import service


async def earn(runtime, store_id, user_id, order_id, paid_fen):
    async with runtime.db.transaction() as session:
        await service.earn_for_completed_order(
            session, store_id, user_id, order_id, paid_fen, utcnow()
        )


async def test_rules_have_defaults_and_are_replaced_whole(api, client):
    store_id, owner = await api.new_store()
    url = merchant_url(store_id, "/member-rules")
    defaults = {
        "growth_per_yuan": 1,
        "points_per_yuan": 1,
        "fen_per_point": 1,
        "max_share_percent": 50,
        "points_expire_days": 365,
    }
    assert expect(await client.get(url, headers=owner), 200) == defaults
    changed = {**defaults, "points_per_yuan": 5, "points_expire_days": None}
    assert expect(await client.put(url, json=changed, headers=owner), 200) == changed
    assert expect(await client.get(url, headers=owner), 200) == changed
    assert expect(await client.put(url, json={"fen_per_point": 2}, headers=owner), 200) == {
        **defaults,
        "fen_per_point": 2,
    }
    for bad in (
        {"fen_per_point": 0},
        {"max_share_percent": 101},
        {"points_expire_days": 0},
        {"growth_per_yuan": -1},
        {"bonus": 1},
    ):
        answer = await client.put(url, json=bad, headers=owner)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_input"
    other_store, _ = await api.new_store()
    assert (
        await client.get(merchant_url(other_store, "/member-rules"), headers=owner)
    ).status_code == 404


async def test_staff_see_members_with_masked_phones(api, client, runtime):
    store_id, owner = await api.new_store()
    await add_level(api, store_id, owner, "普通", 0, 100)
    gold = await add_level(api, store_id, owner, "金卡", 500, 90)
    phones = ["13911110001", "13911110002", "13911110003"]
    user_ids = []
    for phone in phones:
        user_ids.append(await make_member(api, store_id, await api.sign_in(phone)))
    await earn(runtime, store_id, user_ids[1], 1, 60000)  # growth 600: gold

    url = merchant_url(store_id, "/members")
    first = expect(await client.get(url, params={"limit": 2}, headers=owner), 200)
    assert [m["user_id"] for m in first["items"]] == [user_ids[2], user_ids[1]]
    assert first["items"][0]["phone"] == "139****0003"
    assert first["items"][1]["level"]["id"] == gold["id"]
    assert first["items"][1]["points_balance"] == 600
    rest = expect(
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner),
        200,
    )
    assert [m["user_id"] for m in rest["items"]] == [user_ids[0]] and rest["next_cursor"] is None
    assert "13911110001" not in str(first) + str(rest)

    by_level = expect(await client.get(url, params={"level_id": gold["id"]}, headers=owner), 200)
    assert [m["user_id"] for m in by_level["items"]] == [user_ids[1]]
    by_phone = expect(await client.get(url, params={"phone": "139 1111 0001"}, headers=owner), 200)
    assert [m["user_id"] for m in by_phone["items"]] == [user_ids[0]]
    one = expect(await client.get(f"{url}/{user_ids[1]}", headers=owner), 200)
    assert one["growth_value"] == 600 and one["phone"] == "139****0002"

    # A user who is no member of this store is not found, even if they exist.
    stranger = await api.sign_in()
    stranger_id = expect(await client.get("/api/v1/me", headers=stranger), 200)["id"]
    assert (await client.get(f"{url}/{stranger_id}", headers=owner)).status_code == 404


async def test_manual_adjustments_keep_their_reason_and_never_go_below_zero(api, client, runtime):
    store_id, owner = await api.new_store()
    operator = await api.add_staff(store_id, owner, "operator")
    shopper = await api.sign_in()
    user_id = await make_member(api, store_id, shopper)
    url = merchant_url(store_id, f"/members/{user_id}/points-adjustments")

    granted = expect(
        await client.post(url, json={"delta": 300, "reason": "直播抽奖奖励"}, headers=operator),
        201,
    )
    assert granted["points_balance"] == 300
    assert granted["entry"]["kind"] == "adjust" and granted["entry"]["reason"] == "直播抽奖奖励"
    assert granted["entry"]["expires_at"] is not None

    too_much = await client.post(url, json={"delta": -301, "reason": "扣回"}, headers=owner)
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "not_enough_points"
    for bad in ({"delta": 0, "reason": "无"}, {"delta": 5, "reason": ""}, {"delta": 5}):
        answer = await client.post(url, json=bad, headers=owner)
        assert answer.status_code == 422, bad

    keyed = {**owner, "Idempotency-Key": "adjust-1"}
    taken = expect(
        await client.post(url, json={"delta": -100, "reason": "误发"}, headers=keyed), 201
    )
    again = await client.post(url, json={"delta": -100, "reason": "误发"}, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == taken and taken["points_balance"] == 200

    ledger = expect(
        await client.get(merchant_url(store_id, f"/members/{user_id}/points"), headers=owner), 200
    )
    assert [(e["delta"], e["reason"]) for e in ledger["items"]] == [
        (-100, "误发"),
        (300, "直播抽奖奖励"),
    ]
    balance, deltas, remaining, _ = await ledger_totals(runtime, store_id, user_id)
    assert balance == deltas == remaining == 200

    service_staff = await api.add_staff(store_id, owner, "customer_service")
    refused = await client.post(url, json={"delta": 1, "reason": "x"}, headers=service_staff)
    assert refused.status_code == 403
    expect(await client.get(merchant_url(store_id, "/members"), headers=service_staff), 200)

    stranger = await api.sign_in()
    stranger_id = expect(await client.get("/api/v1/me", headers=stranger), 200)["id"]
    missing = await client.post(
        merchant_url(store_id, f"/members/{stranger_id}/points-adjustments"),
        json={"delta": 5, "reason": "x"},
        headers=owner,
    )
    assert missing.status_code == 404


async def test_the_shopper_sees_memberships_and_ledger_pages(api, client, runtime):
    store_a, owner_a = await api.new_store("甲店")
    store_b, _ = await api.new_store("乙店")
    await add_level(api, store_a, owner_a, "普通", 0, 100)
    await add_level(api, store_a, owner_a, "银卡", 1000, 95)
    shopper = await api.sign_in()
    user_id = await make_member(api, store_a, shopper)
    await make_member(api, store_b, shopper)
    for order_id in range(1, 6):
        await earn(runtime, store_a, user_id, order_id, 10000)

    memberships = expect(await client.get("/api/v1/me/memberships", headers=shopper), 200)
    assert [m["store_name"] for m in memberships] == ["甲店", "乙店"]
    a = memberships[0]
    assert a["growth_value"] == 500 and a["points_balance"] == 500 and a["points_value_fen"] == 500
    assert a["level"]["name"] == "普通"
    assert a["next_level"]["name"] == "银卡" and a["next_level"]["growth_needed"] == 500
    assert memberships[1]["level"] is None and memberships[1]["points_balance"] == 0

    url = f"/api/v1/me/memberships/{store_a}/points"
    seen, cursor = [], None
    while True:
        page = expect(
            await client.get(
                url,
                params={"limit": 2, "cursor": cursor} if cursor else {"limit": 2},
                headers=shopper,
            ),
            200,
        )
        seen += [e["order_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]

    stranger_store, _ = await api.new_store()
    assert (
        await client.get(f"/api/v1/me/memberships/{stranger_store}/points", headers=shopper)
    ).status_code == 404
    bad_cursor = await client.get(url, params={"cursor": "garbage!"}, headers=shopper)
    assert bad_cursor.status_code == 422
    other = await api.sign_in()
    assert expect(await client.get("/api/v1/me/memberships", headers=other), 200) == []
    assert (await client.get(url, headers=other)).status_code == 404
