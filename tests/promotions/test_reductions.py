"""Full reductions (满减 / 满折) and stacking rules: bad tiers refused with their code, the
rules the pricing core is given, and the per-store stacking settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.promotions.conftest import reductions_url
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.pricing.inputs import StackingGroup, StackingRules, Tier
from weshop.promotions import service
from weshop.promotions.models import FullReductionRule


def amount_rule(**changes: Any) -> dict[str, Any]:
    """满 100 减 10, 满 200 减 30."""
    body: dict[str, Any] = {
        "name": "满减",
        "kind": "amount",
        "tiers": [
            {"threshold_fen": 10000, "amount_off_fen": 1000},
            {"threshold_fen": 20000, "amount_off_fen": 3000},
        ],
    }
    body.update(changes)
    return body


async def count_rules(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(FullReductionRule))


def tiers(*pairs: tuple[int, int | None, int | None]) -> list[dict[str, int | None]]:
    return [{"threshold_fen": t, "amount_off_fen": a, "percent_off": p} for t, a, p in pairs]


NOW = utcnow()
BAD_RULES = [
    ({"tiers": tiers((1000, 1000, None))}, "threshold_below_discount"),
    ({"tiers": tiers((1000, 2000, None))}, "threshold_below_discount"),
    ({"tiers": tiers((0, None, None))}, "invalid_tier"),
    ({"tiers": tiers((1000, None, 10))}, "invalid_tier"),
    ({"tiers": tiers((1000, 0, None))}, "invalid_amount"),
    ({"tiers": tiers((10000, 1000, None), (10000, 2000, None))}, "overlapping_tiers"),
    ({"tiers": tiers((10000, 1000, None), (20000, 1000, None))}, "tier_benefit_not_increasing"),
    ({"tiers": tiers((20000, 1000, None), (10000, 2000, None))}, "tier_benefit_not_increasing"),
    ({"kind": "percent", "tiers": tiers((10000, None, 100))}, "invalid_percent"),
    ({"kind": "percent", "tiers": tiers((10000, None, 0))}, "invalid_percent"),
    ({"kind": "percent", "tiers": tiers((10000, 500, None))}, "invalid_tier"),
    (
        {"kind": "percent", "tiers": tiers((10000, None, 20), (20000, None, 10))},
        "tier_benefit_not_increasing",
    ),
    (
        {
            "starts_at": (NOW + timedelta(days=2)).isoformat(),
            "ends_at": (NOW + timedelta(days=1)).isoformat(),
        },
        "invalid_window",
    ),
    ({"ends_at": (NOW - timedelta(days=1)).isoformat()}, "window_over"),
    ({"scope": {"kind": "products", "product_ids": [999999]}}, "unknown_scope_ids"),
    ({"scope": {"kind": "categories"}}, "invalid_scope"),
]


@pytest.mark.parametrize(("changes", "code"), BAD_RULES)
async def test_bad_rules_are_refused_with_their_code_and_nothing_is_written(
    api, client, runtime, changes, code
):
    store_id, owner = await api.new_store()
    answer = await client.post(reductions_url(store_id), json=amount_rule(**changes), headers=owner)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert await count_rules(runtime) == 0


async def test_too_many_or_no_tiers_are_refused(api, client, runtime):
    store_id, owner = await api.new_store()
    six = tiers(*[(1000 * (i + 2), 100 * (i + 1), None) for i in range(6)])
    for bad in ([], six):
        answer = await client.post(
            reductions_url(store_id), json=amount_rule(tiers=bad), headers=owner
        )
        assert answer.status_code == 422
    assert await count_rules(runtime) == 0


async def test_a_rule_lives_through_create_read_replace_pause_and_delete(api, client):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    body = amount_rule(
        tiers=tiers((20000, 3000, None), (10000, 1000, None)),  # given in any order
        scope={"kind": "products", "product_ids": [product["id"]]},
        priority=5,
    )
    made = expect(await client.post(reductions_url(store_id), json=body, headers=owner), 201)
    assert [t["threshold_fen"] for t in made["tiers"]] == [10000, 20000]
    assert (made["status"], made["priority"], made["store_id"]) == ("active", 5, store_id)
    assert made["scope"]["product_ids"] == [product["id"]]
    path = reductions_url(store_id, f"/{made['id']}")
    assert expect(await client.get(path, headers=owner), 200) == made

    percent = {
        "name": "满折",
        "kind": "percent",
        "tiers": tiers((10000, None, 5), (30000, None, 12)),
    }
    replaced = expect(await client.put(path, json=percent, headers=owner), 200)
    assert (replaced["kind"], replaced["name"]) == ("percent", "满折")
    assert [t["percent_off"] for t in replaced["tiers"]] == [5, 12]
    assert replaced["scope"]["kind"] == "all"
    bad = await client.put(path, json=amount_rule(tiers=tiers((100, 100, None))), headers=owner)
    assert bad.json()["error"]["code"] == "threshold_below_discount"
    assert expect(await client.get(path, headers=owner), 200)["kind"] == "percent"

    assert expect(await client.post(f"{path}/pause", headers=owner), 200)["status"] == "paused"
    again = await client.post(f"{path}/pause", headers=owner)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "illegal_transition")
    listed = expect(
        await client.get(reductions_url(store_id) + "?status=paused", headers=owner), 200
    )
    assert [r["id"] for r in listed["items"]] == [made["id"]]
    assert expect(await client.post(f"{path}/resume", headers=owner), 200)["status"] == "active"
    expect(await client.delete(path, headers=owner), 204)
    assert (await client.get(path, headers=owner)).status_code == 404


async def test_roles_and_tenancy(api, client):
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家")
    theirs = expect(
        await client.post(reductions_url(other_id), json=amount_rule(), headers=other_owner), 201
    )
    for method in ("get", "delete"):
        answer = await client.request(
            method, reductions_url(store_id, f"/{theirs['id']}"), headers=owner
        )
        assert answer.status_code == 404
    answer = await client.put(
        reductions_url(store_id, f"/{theirs['id']}"), json=amount_rule(), headers=owner
    )
    assert answer.status_code == 404
    finance = await api.add_staff(store_id, owner, "finance")
    expect(await client.get(reductions_url(store_id), headers=finance), 200)
    refused = await client.post(reductions_url(store_id), json=amount_rule(), headers=finance)
    assert refused.status_code == 403


async def test_the_pricing_core_gets_the_rules_in_force(api, client, runtime):
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家")
    now = utcnow()
    low = expect(
        await client.post(reductions_url(store_id), json=amount_rule(), headers=owner), 201
    )
    high = expect(
        await client.post(
            reductions_url(store_id),
            json=amount_rule(
                name="高优先", priority=9, ends_at=(now + timedelta(days=1)).isoformat()
            ),
            headers=owner,
        ),
        201,
    )
    future = expect(
        await client.post(
            reductions_url(store_id),
            json=amount_rule(starts_at=(now + timedelta(days=1)).isoformat()),
            headers=owner,
        ),
        201,
    )
    paused = expect(
        await client.post(reductions_url(store_id), json=amount_rule(), headers=owner), 201
    )
    expect(
        await client.post(reductions_url(store_id, f"/{paused['id']}/pause"), headers=owner), 200
    )
    expect(
        await client.post(reductions_url(other_id), json=amount_rule(), headers=other_owner), 201
    )

    async with runtime.db.session(write=False) as session:
        found = await service.active_reductions_for_pricing(session, [store_id], now)
        tomorrow = await service.active_reductions_for_pricing(
            session, [store_id], now + timedelta(days=2)
        )
    assert [r.id for r in found] == [high["id"], low["id"]]
    assert found[1].tiers == (
        Tier(threshold_fen=10000, amount_off_fen=1000),
        Tier(threshold_fen=20000, amount_off_fen=3000),
    )
    assert (found[0].label, found[0].priority, found[0].scope.kind) == ("高优先", 9, "all")
    assert [r.id for r in tomorrow] == [low["id"], future["id"]]


async def test_stacking_rules_default_to_all_combining_and_can_be_set(api, client, runtime):
    store_id, owner = await api.new_store()
    other_id, _ = await api.new_store("别家")
    url = f"/api/v1/merchant/stores/{store_id}/stacking-rules"
    default = expect(await client.get(url, headers=owner), 200)
    assert default == {
        "store_id": store_id,
        "groups": ["full_reduction", "store_coupon", "platform_coupon"],
        "exclusive_pairs": [],
        "campaigns_without_promotions": ["flash"],
    }
    body = {
        "exclusive_pairs": [
            ["store_coupon", "full_reduction"],
            ["full_reduction", "store_coupon"],
            ["platform_coupon", "store_coupon"],
        ],
        "campaigns_without_promotions": ["group", "flash", "group"],
    }
    saved = expect(await client.put(url, json=body, headers=owner), 200)
    assert saved["exclusive_pairs"] == [
        ["full_reduction", "store_coupon"],
        ["platform_coupon", "store_coupon"],
    ]
    assert saved["campaigns_without_promotions"] == ["flash", "group"]
    assert expect(await client.get(url, headers=owner), 200) == saved
    for bad in (
        {"exclusive_pairs": [["store_coupon", "store_coupon"]]},
        {"exclusive_pairs": [["store_coupon", "points"]]},
        {"exclusive_pairs": [], "campaigns_without_promotions": ["live"]},
        {},
    ):
        assert (await client.put(url, json=bad, headers=owner)).status_code == 422
    assert expect(await client.get(url, headers=owner), 200) == saved

    async with runtime.db.session(write=False) as session:
        rules = await service.stacking_for_pricing(session, [store_id, other_id])
    assert rules[other_id] == StackingRules()
    mine = rules[store_id]
    assert not mine.combinable(StackingGroup.FULL_REDUCTION, StackingGroup.STORE_COUPON)
    assert not mine.combinable(StackingGroup.PLATFORM_COUPON, StackingGroup.STORE_COUPON)
    assert mine.combinable(StackingGroup.FULL_REDUCTION, StackingGroup.PLATFORM_COUPON)
    assert (mine.promotes("group"), mine.promotes("bargain"), mine.promotes(None)) == (
        False,
        True,
        True,
    )

    cleared = expect(await client.put(url, json={"exclusive_pairs": []}, headers=owner), 200)
    assert cleared["exclusive_pairs"] == []
    assert cleared["campaigns_without_promotions"] == ["flash"]
    finance = await api.add_staff(store_id, owner, "finance")
    assert (await client.put(url, json=body, headers=finance)).status_code == 403
    assert (
        await client.get(f"/api/v1/merchant/stores/{other_id}/stacking-rules", headers=owner)
    ).status_code == 404
