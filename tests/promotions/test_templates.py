"""Coupon templates: terms refused with their own code (nothing written), status changes as
declared, roles, tenancy, and platform coupons for operators only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.promotions.conftest import (
    PLATFORM,
    create_template,
    fixed_coupon,
    templates_url,
    window,
)
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.core.outbox import OutboxMessage
from weshop.promotions.models import CouponTemplate


async def count_templates(runtime) -> int:
    async with runtime.db.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(CouponTemplate))


PAST = (utcnow() - timedelta(days=2)).isoformat()
EARLIER = (utcnow() - timedelta(days=3)).isoformat()

BAD_TERMS = [
    ({"threshold_fen": 1000}, "threshold_below_discount"),
    ({"threshold_fen": 999}, "threshold_below_discount"),
    ({"threshold_fen": 0}, "threshold_below_discount"),
    ({"amount_off_fen": 0}, "invalid_amount"),
    ({"amount_off_fen": None}, "invalid_amount"),
    ({"percent_off": 10}, "invalid_percent"),
    ({"cap_fen": 500}, "invalid_cap"),
    ({"kind": "percent", "amount_off_fen": None, "percent_off": 100}, "invalid_percent"),
    ({"kind": "percent", "amount_off_fen": None, "percent_off": 0}, "invalid_percent"),
    ({"kind": "percent", "amount_off_fen": None, "percent_off": 150}, "invalid_percent"),
    ({"kind": "percent", "amount_off_fen": None}, "invalid_percent"),
    ({"kind": "percent", "percent_off": 10}, "invalid_amount"),
    ({"kind": "percent", "amount_off_fen": None, "percent_off": 10, "cap_fen": 0}, "invalid_cap"),
    ({"kind": "no_threshold", "threshold_fen": 500}, "threshold_not_allowed"),
    ({"total_quantity": 0}, "invalid_quantity"),
    ({"total_quantity": 10_000_001}, "invalid_quantity"),
    ({"per_shopper_limit": 0}, "invalid_limit"),
    ({"per_shopper_limit": 101}, "invalid_limit"),
    ({"valid_days_after_claim": 0}, "invalid_validity_days"),
    ({"valid_days_after_claim": 366}, "invalid_validity_days"),
    ({"valid_days_after_claim": None}, "validity_required"),
    ({**window(), "valid_days_after_claim": 3}, "ambiguous_validity"),
    ({"valid_days_after_claim": None, "valid_from": PAST}, "validity_required"),
    (
        {"valid_days_after_claim": None, "valid_from": PAST, "valid_until": EARLIER},
        "invalid_window",
    ),
    ({**window(-5, -1)}, "window_over"),
    ({"scope": {"kind": "products"}}, "invalid_scope"),
    ({"scope": {"kind": "all", "product_ids": [1]}}, "invalid_scope"),
    ({"scope": {"kind": "categories", "product_ids": [1], "category_ids": [1]}}, "invalid_scope"),
    ({"scope": {"kind": "products", "product_ids": [999999]}}, "unknown_scope_ids"),
    ({"scope": {"kind": "categories", "category_ids": [999999]}}, "unknown_scope_ids"),
]


@pytest.mark.parametrize(("changes", "code"), BAD_TERMS)
async def test_bad_terms_are_refused_with_their_code_and_nothing_is_written(
    api, client, runtime, changes, code
):
    store_id, owner = await api.new_store()
    answer = await client.post(templates_url(store_id), json=fixed_coupon(**changes), headers=owner)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert await count_templates(runtime) == 0


async def test_malformed_bodies_are_422(api, client, runtime):
    store_id, owner = await api.new_store()
    for changes in (
        {"kind": "bogus"},
        {"amount_off_fen": -1},
        {"valid_from": "2030-01-01T00:00:00", "valid_days_after_claim": None},
        {"extra": 1},
        {"name": ""},
    ):
        answer = await client.post(
            templates_url(store_id), json=fixed_coupon(**changes), headers=owner
        )
        assert answer.status_code == 422, changes
        assert answer.json()["error"]["code"] == "invalid_input"
    assert await count_templates(runtime) == 0


async def test_scope_ids_must_belong_to_the_store(api, client, runtime):
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家")
    mine = await api.create_product(store_id, owner)
    theirs = await api.create_product(other_id, other_owner)
    category = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories", json={"name": "茶"}, headers=owner
        ),
        201,
    )
    scope = {"kind": "products", "product_ids": [mine["id"], theirs["id"]]}
    answer = await client.post(
        templates_url(store_id), json=fixed_coupon(scope=scope), headers=owner
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"ids": [theirs["id"]]}
    made = await create_template(
        api, store_id, owner, scope={"kind": "products", "product_ids": [mine["id"], mine["id"]]}
    )
    assert made["scope"] == {"kind": "products", "product_ids": [mine["id"]], "category_ids": []}
    by_category = await create_template(
        api, store_id, owner, scope={"kind": "categories", "category_ids": [category["id"]]}
    )
    assert by_category["scope"]["category_ids"] == [category["id"]]
    assert await count_templates(runtime) == 2


async def test_a_created_template_shows_its_terms_and_queues_the_expiry_sweep(api, runtime):
    store_id, owner = await api.new_store()
    made = await create_template(
        api,
        store_id,
        owner,
        kind="percent",
        amount_off_fen=None,
        percent_off=15,
        cap_fen=2000,
        threshold_fen=0,
        return_on_refund=True,
        **window(),
    )
    assert made["store_id"] == store_id
    assert (made["kind"], made["percent_off"], made["cap_fen"]) == ("percent", 15, 2000)
    assert made["amount_off_fen"] == 0 and made["return_on_refund"] is True
    assert made["valid_days_after_claim"] is None and made["valid_until"]
    assert (made["status"], made["claimed_count"], made["used_count"]) == ("active", 0, 0)
    await create_template(api, store_id, owner)
    async with runtime.db.session(write=False) as session:
        sweeps = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == "promotions.expiry_sweep")
            )
        )
    assert len(sweeps) == 1  # one per hour, however many templates are made


async def test_pause_resume_end_follow_the_state_machine(api, client):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner)
    path = templates_url(store_id, f"/{made['id']}")
    assert expect(await client.post(f"{path}/pause", headers=owner), 200)["status"] == "paused"
    refused = await client.post(f"{path}/pause", headers=owner)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "illegal_transition"
    assert expect(await client.post(f"{path}/resume", headers=owner), 200)["status"] == "active"
    assert expect(await client.post(f"{path}/end", headers=owner), 200)["status"] == "ended"
    for action in ("pause", "resume", "end"):
        answer = await client.post(f"{path}/{action}", headers=owner)
        assert answer.status_code == 409, action
        assert answer.json()["error"]["details"] == {"state": "ended", "action": action}


async def test_list_filters_by_status_and_pages(api, client):
    store_id, owner = await api.new_store()
    made = [await create_template(api, store_id, owner, name=f"券{i}") for i in range(3)]
    await client.post(templates_url(store_id, f"/{made[0]['id']}/pause"), headers=owner)
    first = expect(await client.get(templates_url(store_id) + "?limit=2", headers=owner), 200)
    assert [t["name"] for t in first["items"]] == ["券2", "券1"]
    rest = expect(
        await client.get(
            templates_url(store_id) + f"?limit=2&cursor={first['next_cursor']}", headers=owner
        ),
        200,
    )
    assert [t["name"] for t in rest["items"]] == ["券0"] and rest["next_cursor"] is None
    paused = expect(
        await client.get(templates_url(store_id) + "?status=paused", headers=owner), 200
    )
    assert [t["id"] for t in paused["items"]] == [made[0]["id"]]


async def test_roles_decide_who_reads_and_who_writes(api, client):
    store_id, owner = await api.new_store()
    made = await create_template(api, store_id, owner)
    operator = await api.add_staff(store_id, owner, "operator")
    finance = await api.add_staff(store_id, owner, "finance")
    service = await api.add_staff(store_id, owner, "customer_service")
    await create_template(api, store_id, operator)
    expect(
        await client.post(templates_url(store_id, f"/{made['id']}/pause"), headers=operator), 200
    )
    expect(await client.get(templates_url(store_id, f"/{made['id']}"), headers=finance), 200)
    refused = [
        await client.post(templates_url(store_id), json=fixed_coupon(), headers=finance),
        await client.post(templates_url(store_id, f"/{made['id']}/resume"), headers=finance),
        await client.get(templates_url(store_id), headers=service),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text


async def test_another_stores_templates_answer_404(api, client):
    store_id, owner = await api.new_store()
    other_id, other_owner = await api.new_store("别家")
    theirs = await create_template(api, other_id, other_owner)
    stranger = await api.sign_in()
    for path in ("", "/pause", "/end"):
        method = client.get if not path else client.post
        answer = await method(templates_url(store_id, f"/{theirs['id']}{path}"), headers=owner)
        assert answer.status_code == 404, path
    assert (await client.get(templates_url(other_id), headers=owner)).status_code == 404
    assert (await client.get(templates_url(other_id), headers=stranger)).status_code == 404
    # The platform's side does not see store templates either, nor stores the platform's.
    operator = await api.operator()
    assert (await client.get(f"{PLATFORM}/{theirs['id']}", headers=operator)).status_code == 404
    platform = expect(await client.post(PLATFORM, json=fixed_coupon(), headers=operator), 201)
    answer = await client.get(templates_url(store_id, f"/{platform['id']}"), headers=owner)
    assert answer.status_code == 404


async def test_platform_coupons_are_for_operators_only(api, client):
    operator = await api.operator()
    store_id, owner = await api.new_store()
    shopper = await api.sign_in()
    for headers in (owner, shopper):
        assert (
            await client.post(PLATFORM, json=fixed_coupon(), headers=headers)
        ).status_code == 403
        assert (await client.get(PLATFORM, headers=headers)).status_code == 403
    assert (await client.get(PLATFORM)).status_code == 401
    made = expect(await client.post(PLATFORM, json=fixed_coupon(), headers=operator), 201)
    assert made["store_id"] is None
    listed = expect(await client.get(PLATFORM, headers=operator), 200)
    assert [t["id"] for t in listed["items"]] == [made["id"]]
    paused = expect(await client.post(f"{PLATFORM}/{made['id']}/pause", headers=operator), 200)
    assert paused["status"] == "paused"
    assert (await client.post(f"{PLATFORM}/{made['id']}/pause", headers=owner)).status_code == 403
    # A platform scope may name any store's products.
    product = await api.create_product(store_id, owner)
    scoped = expect(
        await client.post(
            PLATFORM,
            json=fixed_coupon(scope={"kind": "products", "product_ids": [product["id"]]}),
            headers=operator,
        ),
        201,
    )
    assert scoped["scope"]["product_ids"] == [product["id"]]
