"""The merchant console's coupons and full reductions: create with every option, field errors
that write nothing, pause / resume / end / delete, figures; and roles."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.orders.test_console import HTML, post_form, use_session
from tests.support import Api, expect
from weshop.promotions.models import CouponTemplate, FullReductionRule


async def count(api: Api, model) -> int:
    async with api.runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_a_percent_coupon_for_chosen_products_with_days_of_validity(api, client) -> None:
    store_id, owner = await api.new_store()
    tea = await api.create_product(store_id, owner, title="高山云雾茶")
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    form = await client.get(f"{base}/coupons/new", headers=HTML)
    assert form.status_code == 200 and "高山云雾茶" in form.text
    created = await post_form(
        client,
        f"{base}/coupons/new",
        f"{base}/coupons/new",
        {
            "name": "茶叶九折券",
            "kind": "percent",
            "amount_off_fen": "5",  # left from another kind: ignored
            "percent_off": "10",
            "cap_fen": "20",
            "threshold_fen": "50",
            "validity": "days",
            "valid_days_after_claim": "7",
            "scope.kind": "products",
            "scope.product_ids": str(tea["id"]),
            "total_quantity": "500",
            "per_shopper_limit": "2",
            "return_on_refund": "true",
        },
    )
    assert created.status_code == 303, created.text
    detail_url = created.headers["location"].split("?")[0]
    template = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/coupon-templates/{detail_url.rsplit('/', 1)[1]}",
            headers=owner,
        ),
        200,
    )
    assert (template["kind"], template["percent_off"], template["cap_fen"]) == ("percent", 10, 2000)
    assert template["threshold_fen"] == 5000 and template["valid_days_after_claim"] == 7
    assert template["scope"] == {"kind": "products", "product_ids": [tea["id"]], "category_ids": []}
    assert template["return_on_refund"] is True and template["per_shopper_limit"] == 2

    detail = await client.get(detail_url, headers=HTML)
    assert "茶叶九折券" in detail.text and "领取" in detail.text
    paused = await post_form(client, detail_url, f"{detail_url}/pause", {})
    assert paused.status_code == 303
    page = await client.get(detail_url, headers=HTML)
    assert f'action="{detail_url}/resume"' in page.text
    assert (await post_form(client, detail_url, f"{detail_url}/end", {})).status_code == 303
    ended = await client.get(f"{base}/coupons", params={"status": "ended"}, headers=HTML)
    assert "茶叶九折券" in ended.text
    again = await post_form(client, f"{base}/coupons", f"{detail_url}/resume", {})
    assert again.status_code == 409


async def test_a_coupon_with_bad_terms_shows_field_errors_and_writes_nothing(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    typed = {
        "name": "满减券",
        "kind": "fixed",
        "amount_off_fen": "abc",
        "threshold_fen": "100",
        "validity": "window",
        "valid_from": "2030-01-01T00:00",
        "valid_until": "2030-02-01T00:00",
        "scope.kind": "all",
        "total_quantity": "10",
        "per_shopper_limit": "1",
    }
    bad = await post_form(client, f"{base}/coupons/new", f"{base}/coupons/new", typed)
    assert bad.status_code == 422
    assert 'id="e-amount_off_fen"' in bad.text and 'value="满减券"' in bad.text
    below = await post_form(
        client, f"{base}/coupons/new", f"{base}/coupons/new", {**typed, "amount_off_fen": "200"}
    )
    assert below.status_code == 422 and 'id="e-threshold_fen"' in below.text
    assert await count(api, CouponTemplate) == 0


async def test_a_window_ending_in_9999_is_a_field_error_in_the_console(api, client) -> None:
    """The console's coupon and reduction forms refuse what the API refuses: a date past 2100
    is shown on its field, in Chinese, and nothing is written."""
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    coupon = {
        "name": "万年券",
        "kind": "no_threshold",
        "amount_off_fen": "1",
        "validity": "window",
        "valid_from": "2030-01-01T00:00",
        "valid_until": "9999-12-31T23:59",
        "scope.kind": "all",
        "total_quantity": "10",
        "per_shopper_limit": "1",
    }
    refused = await post_form(client, f"{base}/coupons/new", f"{base}/coupons/new", coupon)
    assert refused.status_code == 422 and 'id="e-valid_until"' in refused.text
    assert "请输入 2000 年至 2100 年之间的日期。" in refused.text
    reduction = {
        "name": "万年满减",
        "kind": "amount",
        "tiers.0.threshold_fen": "99",
        "tiers.0.amount_off_fen": "10",
        "scope.kind": "all",
        "starts_at": "1999-12-31T23:59",
        "ends_at": "9999-12-31T23:59",
    }
    refused = await post_form(client, f"{base}/reductions/new", f"{base}/reductions/new", reduction)
    assert refused.status_code == 422
    assert 'id="e-starts_at"' in refused.text and 'id="e-ends_at"' in refused.text
    assert await count(api, CouponTemplate) == 0 and await count(api, FullReductionRule) == 0


async def test_full_reductions_with_tiers_edited_paused_and_deleted(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    tiers = {
        "name": "满减活动",
        "kind": "amount",
        "tiers.0.threshold_fen": "99",
        "tiers.0.amount_off_fen": "10",
        "tiers.2.threshold_fen": "199",  # a blank row between is left out
        "tiers.2.amount_off_fen": "30",
        "tiers.1.percent_off": "",
        "scope.kind": "all",
        "priority": "5",
    }
    created = await post_form(client, f"{base}/reductions/new", f"{base}/reductions/new", tiers)
    assert created.status_code == 303, created.text
    rules = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/full-reductions", headers=owner), 200
    )["items"]
    assert [t["amount_off_fen"] for t in rules[0]["tiers"]] == [1000, 3000]
    rule_url = f"{base}/reductions/{rules[0]['id']}"
    listing = await client.get(f"{base}/reductions", headers=HTML)
    assert "满减活动" in listing.text

    edit = await client.get(rule_url, headers=HTML)
    assert 'value="199.00"' in edit.text
    worse = await post_form(client, rule_url, rule_url, {**tiers, "tiers.2.amount_off_fen": "5"})
    assert worse.status_code == 422 and "field-error" in worse.text
    saved = await post_form(client, rule_url, rule_url, {**tiers, "name": "店庆满减"})
    assert saved.status_code == 303
    assert (
        await post_form(client, f"{base}/reductions", f"{rule_url}/pause", {})
    ).status_code == 303
    paused = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/full-reductions/{rules[0]['id']}", headers=owner
        ),
        200,
    )
    assert (paused["name"], paused["status"], paused["tiers"][1]["amount_off_fen"]) == (
        "店庆满减",
        "paused",
        3000,
    )
    deleted = await post_form(client, f"{base}/reductions", f"{rule_url}/delete", {})
    assert deleted.status_code == 303
    assert await count(api, FullReductionRule) == 0


async def test_bad_tiers_show_errors_next_to_the_row_typed(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}"
    use_session(client, owner)
    bad = await post_form(
        client,
        f"{base}/reductions/new",
        f"{base}/reductions/new",
        {
            "name": "满折",
            "kind": "percent",
            "tiers.3.threshold_fen": "x",
            "tiers.3.percent_off": "5",
        },
    )
    assert bad.status_code == 422
    assert 'id="f-tiers.3.threshold_fen" name="tiers.3.threshold_fen" value="x"' in bad.text
    assert bad.text.count('aria-invalid="true"') == 1
    assert await count(api, FullReductionRule) == 0


async def test_finance_reads_promotions_but_cannot_change_them(api, client) -> None:
    store_id, owner = await api.new_store()
    finance = await api.add_staff(store_id, owner, "finance")
    other_id, other_owner = await api.new_store()
    base = f"/console/stores/{store_id}"
    use_session(client, finance)
    listing = await client.get(f"{base}/coupons", headers=HTML)
    assert listing.status_code == 200 and f"{base}/coupons/new" not in listing.text
    assert (await client.get(f"{base}/coupons/new", headers=HTML)).status_code == 403
    refused = await post_form(
        client, f"{base}/coupons", f"{base}/reductions/new", {"name": "x", "kind": "amount"}
    )
    assert refused.status_code == 403
    service = await api.add_staff(store_id, owner, "customer_service")
    use_session(client, service)
    assert (await client.get(f"{base}/coupons", headers=HTML)).status_code == 403
    use_session(client, other_owner)
    assert (await client.get(f"{base}/reductions", headers=HTML)).status_code == 404
    assert other_id != store_id
