"""The platform console's alliance pool: the policy form (three levels refused and why),
promoter applications (masked) approved or rejected with a reason, and the review of pool
listings; each form writes what the API would, a refusal nothing; only operators get in."""

from __future__ import annotations

from tests.affiliates.conftest import POLICY, PROMOTERS, Pool
from tests.storefront import HTML, page, post
from tests.stores.test_platform_console import operator_signs_in
from tests.support import expect

LISTINGS = "/platform/affiliates/listings"


async def test_the_policy_form_saves_what_the_api_would_and_refuses_three_levels(
    api, pool: Pool, client
) -> None:
    await operator_signs_in(api, client)
    shown = await page(client, "/platform/affiliates")
    assert "传销" in shown and 'value="1.00"' in shown  # the default minimum, in yuan

    refused = await post(
        client,
        "/platform/affiliates/policy",
        {
            "max_depth": "3",
            "binding_window_days": "14",
            "min_withdrawal_fen": "1.50",
            "after_sales_freeze_days": "10",
        },
        status=422,
    )
    assert "传销" in refused.text and 'aria-invalid="true"' in refused.text
    assert expect(await client.get(POLICY, headers=pool.operator), 200)["updated_at"] is None

    saved = await post(
        client,
        "/platform/affiliates/policy",
        {
            "max_depth": "2",
            "binding_window_days": "14",
            "min_withdrawal_fen": "1.50",
            "after_sales_freeze_days": "10",
        },
    )
    assert saved.headers["location"] == "/platform/affiliates?done=policy"
    policy = expect(await client.get(POLICY, headers=pool.operator), 200)
    assert (
        policy["max_depth"],
        policy["binding_window_days"],
        policy["min_withdrawal_fen"],
        policy["after_sales_freeze_days"],
    ) == (2, 14, 150, 10)

    bad_window = await post(
        client, "/platform/affiliates/policy", {"max_depth": "1", "binding_window_days": "31"},
        status=422,
    )  # fmt: skip
    assert 'aria-invalid="true"' in bad_window.text
    assert expect(await client.get(POLICY, headers=pool.operator), 200)["max_depth"] == 2


async def test_applications_are_masked_and_approved_or_rejected_with_a_reason(
    api, pool: Pool, client
) -> None:
    _, first = await pool.promoter(approve=False, phone="13912345678")
    _, inviter = await pool.promoter()
    _, second = await pool.promoter(
        approve=False, real_name="李四光", phone="13700001111", inviter_code=inviter["code"]
    )
    await operator_signs_in(api, client)
    queue = await page(client, "/platform/affiliates/promoters")
    assert "王**" in queue and "139****5678" in queue and "李**" in queue
    assert inviter["code"] in queue
    assert "王小明" not in queue and "13912345678" not in queue and "13700001111" not in queue

    await post(client, f"/platform/affiliates/promoters/{first['id']}/approve")
    refused = await post(
        client, f"/platform/affiliates/promoters/{second['id']}/reject", {"reason": " "},
        status=422,
    )  # fmt: skip
    assert 'class="field-error"' in refused.text
    await post(
        client, f"/platform/affiliates/promoters/{second['id']}/reject", {"reason": "资料不全"}
    )
    records = expect(await client.get(PROMOTERS, headers=pool.operator), 200)["items"]
    by_id = {record["id"]: record for record in records}
    assert by_id[first["id"]]["status"] == "approved" and by_id[first["id"]]["code"]
    assert by_id[second["id"]]["status"] == "rejected"
    assert by_id[second["id"]]["review_reason"] == "资料不全"
    approved = await page(client, "/platform/affiliates/promoters", status="approved")
    assert by_id[first["id"]]["code"] in approved
    again = await post(client, f"/platform/affiliates/promoters/{first['id']}/approve", status=409)
    assert again.status_code == 409


async def test_the_review_queue_shows_the_plan_and_approves_rejects_and_takes_down(
    api, pool: Pool, client
) -> None:
    _, promoter = await pool.promoter()
    dearer = pool.sku_ids[1]
    first = expect(
        await pool.list_product(
            rate_bps=1250,
            sku_rates=[{"sku_id": dearer, "rate_bps": 2000}],
            audience="listed",
            promoter_ids=[promoter["id"]],
            self_purchase="commission",
            last_click_steals=True,
        ),
        201,
    )
    await operator_signs_in(api, client)
    queue = await page(client, LISTINGS)
    for shown in ("高山乌龙茶", "测试小店", "12.5%", "250g", "20%", promoter["code"]):
        assert shown in queue, shown

    refused = await post(client, f"{LISTINGS}/{first['id']}/reject", {"reason": ""}, status=422)
    assert 'class="field-error"' in refused.text
    await post(client, f"{LISTINGS}/{first['id']}/approve")
    assert "高山乌龙茶" in await page(client, LISTINGS, status="approved")
    missing_reason = await post(client, f"{LISTINGS}/{first['id']}/take-down", status=422)
    assert 'class="field-error"' in missing_reason.text
    await post(client, f"{LISTINGS}/{first['id']}/take-down", {"reason": "虚假宣传"})
    (taken,) = expect(await client.get(pool.base, headers=pool.owner), 200)["items"]
    assert taken["status"] == "taken_down" and taken["review_reason"] == "虚假宣传"

    second = expect(await pool.list_product(), 201)
    await post(client, f"{LISTINGS}/{second['id']}/reject", {"reason": "佣金过低"})
    rows = expect(await client.get(pool.base, headers=pool.owner), 200)["items"]
    assert {row["id"]: row["status"] for row in rows} == {
        first["id"]: "taken_down",
        second["id"]: "rejected",
    }
    assert (await client.get(f"{LISTINGS}/999999/approve", headers=HTML)).status_code in (404, 405)


async def test_only_operators_get_in(api, pool: Pool, client) -> None:
    answer = await client.get("/platform/affiliates/listings", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/platform/signin")
    client.cookies.set("weshop_session", pool.owner["Authorization"].removeprefix("Bearer "))
    assert (await client.get("/platform/affiliates", headers=HTML)).status_code in (303, 403)
