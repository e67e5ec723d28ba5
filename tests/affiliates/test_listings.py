"""Pool listings: a store lists a product with a plan; bad plans are refused and write
nothing; a change of plan is a new version; the platform reviews listings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.affiliates.conftest import REVIEW, Pool, open_pool
from tests.support import expect
from weshop.affiliates.models import AffiliateListing, AffiliatePlan
from weshop.core.clock import utcnow


async def _counts(runtime) -> tuple[int, int]:
    async with runtime.db.transaction() as session:
        listings = await session.scalar(select(func.count()).select_from(AffiliateListing))
        plans = await session.scalar(select(func.count()).select_from(AffiliatePlan))
    return listings, plans


async def test_a_listing_is_created_pending_with_plan_version_1(pool: Pool):
    listing = expect(
        await pool.list_product(
            rate_bps=1500,
            sku_rates=[{"sku_id": pool.sku_ids[1], "rate_bps": 2000}],
            agency_rate_bps=300,
            last_click_steals=True,
            self_purchase="commission",
        ),
        201,
    )
    assert listing["status"] == "pending" and listing["version"] == 1
    assert listing["product_title"] == "高山乌龙茶" and listing["store_id"] == pool.store_id
    assert listing["audience"] == "open" and listing["promoter_ids"] == []
    assert listing["rate_bps"] == 1500 and listing["agency_rate_bps"] == 300
    assert listing["sku_rates"] == [{"sku_id": pool.sku_ids[1], "rate_bps": 2000}]
    assert listing["last_click_steals"] is True and listing["self_purchase"] == "commission"
    assert listing["valid_until"] is None
    got = expect(await pool.client.get(f"{pool.base}/{listing['id']}", headers=pool.owner), 200)
    assert got == listing
    page = expect(await pool.client.get(pool.base, headers=pool.owner), 200)
    assert [row["id"] for row in page["items"]] == [listing["id"]]


async def test_a_listed_plan_names_approved_promoters(pool: Pool):
    _, promoter = await pool.promoter()
    listing = expect(await pool.list_product(audience="listed", promoter_ids=[promoter["id"]]), 201)
    assert listing["audience"] == "listed" and listing["promoter_ids"] == [promoter["id"]]


def _bad_plans(pool: Pool, other_sku: int, pending_promoter: int) -> list[tuple[dict, str]]:
    now = utcnow()
    return [
        ({"rate_bps": 9001}, "invalid_input"),
        ({"rate_bps": -1}, "invalid_input"),
        ({"agency_rate_bps": 9001}, "invalid_input"),
        ({"rate_bps": "1000"}, "invalid_input"),
        ({"sku_rates": [{"sku_id": pool.sku_ids[0], "rate_bps": 9500}]}, "invalid_input"),
        (
            {
                "valid_from": (now + timedelta(days=2)).isoformat(),
                "valid_until": (now + timedelta(days=1)).isoformat(),
            },
            "invalid_window",
        ),
        ({"valid_until": (now - timedelta(days=1)).isoformat()}, "invalid_window"),
        ({"sku_rates": [{"sku_id": other_sku, "rate_bps": 100}]}, "unknown_sku"),
        (
            {
                "sku_rates": [
                    {"sku_id": pool.sku_ids[0], "rate_bps": 100},
                    {"sku_id": pool.sku_ids[0], "rate_bps": 200},
                ]
            },
            "duplicate_sku",
        ),
        ({"audience": "listed"}, "promoter_ids_required"),
        ({"audience": "listed", "promoter_ids": [pending_promoter]}, "unknown_promoter"),
        ({"audience": "open", "promoter_ids": [pending_promoter]}, "promoter_ids_not_listed"),
    ]


async def test_bad_plans_are_refused_and_write_nothing(pool: Pool, runtime):
    other = await open_pool(pool.api)
    _, pending = await pool.promoter(approve=False)
    for plan, code in _bad_plans(pool, other.sku_ids[0], pending["id"]):
        answer = await pool.list_product(**plan)
        assert answer.status_code == 422, (plan, answer.text)
        assert answer.json()["error"]["code"] == code, plan
    assert await _counts(runtime) == (0, 0)


async def test_another_stores_product_is_404(pool: Pool, runtime):
    other = await open_pool(pool.api)
    answer = await pool.list_product(product_id=other.product["id"])
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_product"
    assert await _counts(runtime) == (0, 0)


async def test_one_live_listing_per_product(pool: Pool):
    first = expect(await pool.list_product(), 201)
    second = await pool.list_product(rate_bps=2000)
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_listed"
    # Once the first ends, the product may be listed again.
    ended = expect(
        await pool.client.post(f"{pool.base}/{first['id']}/stop", headers=pool.owner), 200
    )
    assert ended["status"] == "ended" and ended["ended_at"] is not None
    expect(await pool.list_product(rate_bps=2000), 201)


async def test_a_change_of_plan_is_a_new_version_and_the_old_one_stays(pool: Pool):
    listing = await pool.pooled(rate_bps=1000)
    url = f"{pool.base}/{listing['id']}"
    revised = expect(
        await pool.client.patch(
            url,
            json={"rate_bps": 2500, "sku_rates": [{"sku_id": pool.sku_ids[0], "rate_bps": 2000}]},
            headers=pool.owner,
        ),
        200,
    )
    assert revised["version"] == 2 and revised["status"] == "approved"
    assert revised["rate_bps"] == 2500 and revised["self_purchase"] == "none"
    assert revised["effective_from"] >= listing["effective_from"]
    plans = expect(await pool.client.get(f"{url}/plans", headers=pool.owner), 200)
    assert [(p["version"], p["rate_bps"], p["sku_rates"]) for p in plans] == [
        (2, 2500, [{"sku_id": pool.sku_ids[0], "rate_bps": 2000}]),
        (1, 1000, []),
    ]
    # A bad change is refused and adds no version.
    bad = await pool.client.patch(url, json={"rate_bps": 9001}, headers=pool.owner)
    assert bad.status_code == 422
    reversed_window = await pool.client.patch(
        url, json={"valid_until": "2001-01-01T00:00:00Z"}, headers=pool.owner
    )
    assert reversed_window.json()["error"]["code"] == "invalid_window"
    assert len(expect(await pool.client.get(f"{url}/plans", headers=pool.owner), 200)) == 2


async def test_null_clears_the_end_and_the_agency_rate_and_leaves_the_rest(pool: Pool):
    listing = await pool.pooled(
        rate_bps=1000, agency_rate_bps=200, valid_until="2099-01-01T00:00:00Z"
    )
    url = f"{pool.base}/{listing['id']}"
    kept = expect(await pool.client.patch(url, json={"rate_bps": 1200}, headers=pool.owner), 200)
    assert (kept["agency_rate_bps"], kept["valid_until"]) == (200, "2099-01-01T00:00:00Z")
    cleared = expect(
        await pool.client.patch(
            url,
            json={"valid_until": None, "agency_rate_bps": None, "rate_bps": None},
            headers=pool.owner,
        ),
        200,
    )
    assert (cleared["agency_rate_bps"], cleared["valid_until"]) == (None, None)
    assert (cleared["rate_bps"], cleared["version"]) == (1200, 3)


async def test_platform_review_transitions(pool: Pool):
    listing = expect(await pool.list_product(), 201)
    queue = expect(
        await pool.client.get(REVIEW, params={"status": "pending"}, headers=pool.operator), 200
    )
    assert [row["id"] for row in queue["items"]] == [listing["id"]]
    approved = expect(await pool.review(listing["id"], "approve"), 200)
    assert approved["status"] == "approved" and approved["reviewed_at"] is not None
    down = expect(await pool.review(listing["id"], "take-down", "虚假宣传"), 200)
    assert down["status"] == "taken_down" and down["review_reason"] == "虚假宣传"
    # A taken-down listing can be neither approved again, nor revised, nor stopped.
    assert (await pool.review(listing["id"], "approve")).status_code == 409
    patch = await pool.client.patch(
        f"{pool.base}/{listing['id']}", json={"rate_bps": 1}, headers=pool.owner
    )
    assert patch.status_code == 409
    stop = await pool.client.post(f"{pool.base}/{listing['id']}/stop", headers=pool.owner)
    assert stop.status_code == 409
    # The product may be listed again.
    expect(await pool.list_product(), 201)


@pytest.mark.parametrize(
    ("first", "then", "reason"),
    [
        ("reject", "approve", None),
        ("reject", "take-down", "下架"),
        ("approve", "reject", "晚了"),
        ("approve", "approve", None),
    ],
)
async def test_refused_review_transitions_are_409(pool: Pool, first, then, reason):
    listing = expect(await pool.list_product(), 201)
    expect(await pool.review(listing["id"], first, "不合规" if first == "reject" else None), 200)
    answer = await pool.review(listing["id"], then, reason)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "illegal_transition"


async def test_take_down_of_a_pending_listing_is_409_and_reasons_are_required(pool: Pool):
    listing = expect(await pool.list_product(), 201)
    assert (await pool.review(listing["id"], "take-down", "下架")).status_code == 409
    assert (await pool.review(listing["id"], "reject", "")).status_code == 422
    assert (await pool.review(listing["id"], "reject")).status_code == 422


async def test_only_operators_review_and_only_staff_list(pool: Pool):
    listing = expect(await pool.list_product(), 201)
    shopper = await pool.api.sign_in()
    answer = await pool.client.post(f"{REVIEW}/{listing['id']}/approve", headers=pool.owner)
    assert answer.status_code == 403
    assert (await pool.client.get(REVIEW, headers=shopper)).status_code == 403
    assert (await pool.client.get(pool.base, headers=shopper)).status_code in (403, 404)
