"""Promoters: applying (personal data encrypted, answered masked), the platform's review,
share codes, and the inviter as parent only where the policy pays two levels."""

from __future__ import annotations

from sqlalchemy import text

from tests.affiliates.conftest import ME_PROMOTER, POLICY, PROMOTERS, Pool
from tests.support import expect


async def test_an_application_is_stored_encrypted_and_answered_masked(pool: Pool, runtime):
    shopper, record = await pool.promoter(approve=False, phone="13912345678")
    assert record["status"] == "pending" and record["code"] is None
    assert record["real_name"] == "王**" and record["phone"] == "139****5678"
    assert expect(await pool.client.get(ME_PROMOTER, headers=shopper), 200) == record
    async with runtime.db.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT real_name, phone FROM promoters"))).one()
    assert "王小明" not in stored.real_name and "13912345678" not in stored.phone


async def test_a_repeat_application_answers_the_first_one(pool: Pool):
    shopper, first = await pool.promoter(approve=False)
    again = await pool.client.post(
        ME_PROMOTER, json={"real_name": "李四", "phone": "13800000000"}, headers=shopper
    )
    assert again.status_code == 200 and again.json() == first
    listed = expect(await pool.client.get(PROMOTERS, headers=pool.operator), 200)
    assert [p["id"] for p in listed["items"]] == [first["id"]]


async def test_no_record_before_applying(pool: Pool):
    shopper = await pool.api.sign_in()
    assert (await pool.client.get(ME_PROMOTER, headers=shopper)).status_code == 404


async def test_approval_gives_each_promoter_a_unique_unambiguous_code(pool: Pool):
    codes = set()
    for _ in range(5):
        _, record = await pool.promoter()
        assert record["status"] == "approved" and record["reviewed_at"] is not None
        code = record["code"]
        assert len(code) == 8 and not set(code) & set("01OIL")
        codes.add(code)
    assert len(codes) == 5


async def test_rejection_needs_a_reason_and_the_applicant_sees_it(pool: Pool):
    shopper, record = await pool.promoter(approve=False)
    url = f"{PROMOTERS}/{record['id']}/reject"
    assert (await pool.client.post(url, json={}, headers=pool.operator)).status_code == 422
    rejected = expect(
        await pool.client.post(url, json={"reason": "资料不全"}, headers=pool.operator), 200
    )
    assert rejected["status"] == "rejected" and rejected["code"] is None
    mine = expect(await pool.client.get(ME_PROMOTER, headers=shopper), 200)
    assert mine["review_reason"] == "资料不全"


async def test_a_review_outside_pending_is_a_409(pool: Pool):
    _, approved = await pool.promoter()
    again = await pool.client.post(f"{PROMOTERS}/{approved['id']}/approve", headers=pool.operator)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    reject = await pool.client.post(
        f"{PROMOTERS}/{approved['id']}/reject", json={"reason": "晚了"}, headers=pool.operator
    )
    assert reject.status_code == 409
    missing = await pool.client.post(f"{PROMOTERS}/999999/approve", headers=pool.operator)
    assert missing.status_code == 404


async def test_the_list_filters_by_status(pool: Pool):
    _, approved = await pool.promoter()
    _, pending = await pool.promoter(approve=False)
    only = expect(
        await pool.client.get(PROMOTERS, params={"status": "pending"}, headers=pool.operator), 200
    )
    assert [p["id"] for p in only["items"]] == [pending["id"]]
    every = expect(await pool.client.get(PROMOTERS, headers=pool.operator), 200)
    assert [p["id"] for p in every["items"]] == [pending["id"], approved["id"]]
    shopper = await pool.api.sign_in()
    assert (await pool.client.get(PROMOTERS, headers=shopper)).status_code == 403


async def test_with_one_level_the_inviter_is_recorded_but_not_a_parent(pool: Pool):
    _, inviter = await pool.promoter()
    _, invited = await pool.promoter(approve=False, inviter_code=inviter["code"].lower())
    assert invited["invited_by_id"] == inviter["id"]
    assert invited["parent_id"] is None and invited["inviter_ignored"] is True


async def test_with_two_levels_the_inviter_becomes_the_parent(pool: Pool):
    expect(await pool.client.put(POLICY, json={"max_depth": 2}, headers=pool.operator), 200)
    _, inviter = await pool.promoter()
    _, invited = await pool.promoter(inviter_code=inviter["code"])
    assert invited["parent_id"] == inviter["id"] and invited["inviter_ignored"] is False


async def test_an_unknown_inviter_code_is_refused_and_nothing_written(pool: Pool):
    shopper = await pool.api.sign_in()
    answer = await pool.client.post(
        ME_PROMOTER,
        json={"real_name": "赵六", "phone": "13700000000", "inviter_code": "ZZZZ9999"},
        headers=shopper,
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "unknown_inviter"
    assert (await pool.client.get(ME_PROMOTER, headers=shopper)).status_code == 404


async def test_bad_applications_are_refused(pool: Pool):
    shopper = await pool.api.sign_in()
    for body in (
        {"real_name": "王", "phone": "13912345678"},
        {"real_name": "王小明", "phone": "12345"},
        {"real_name": "王小明"},
    ):
        answer = await pool.client.post(ME_PROMOTER, json=body, headers=shopper)
        assert answer.status_code == 422, body
    assert (await pool.client.post(ME_PROMOTER, json={})).status_code == 401
