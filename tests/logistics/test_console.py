"""The merchant console's shipping templates: province rules, per piece or weight, free
over an amount, unreachable provinces, the default; errors by field; roles."""

from __future__ import annotations

from tests.orders.test_console import HTML, csrf_of, post_form, use_session
from tests.support import expect


async def templates_of(client, store_id: int, owner) -> list[dict]:
    url = f"/api/v1/merchant/stores/{store_id}/shipping-templates"
    return expect(await client.get(url, headers=owner), 200)


RULES = {
    "name": "江浙沪包邮",
    "charge_by": "weight",
    "free_over_fen": "99",
    "rules.0.first_units": "1000",
    "rules.0.first_fee_fen": "12",
    "rules.0.additional_units": "500",
    "rules.0.additional_fee_fen": "4",
    "rules.2.provinces": ["浙江省", "江苏省", "上海市"],
    "rules.2.first_units": "1000",
    "rules.2.first_fee_fen": "6",
    "rules.2.additional_units": "1000",
    "rules.2.additional_fee_fen": "2.5",
    "unreachable_provinces": ["西藏自治区", "新疆维吾尔自治区"],
}


async def test_a_template_by_weight_with_province_rules_is_made_and_edited(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}/shipping"
    use_session(client, owner)
    assert (await client.get(base, headers=HTML)).status_code == 200
    created = await post_form(client, f"{base}/new", f"{base}/new", RULES)
    assert created.status_code == 303, created.text
    [template] = await templates_of(client, store_id, owner)
    assert template["is_default"] and template["charge_by"] == "weight"
    assert template["free_over_fen"] == 9900
    assert template["rules"][1] == {
        "provinces": ["浙江省", "江苏省", "上海市"],
        "first_units": 1000,
        "first_fee_fen": 600,
        "additional_units": 1000,
        "additional_fee_fen": 250,
    }
    assert template["unreachable_provinces"] == ["西藏自治区", "新疆维吾尔自治区"]

    edit_url = f"{base}/{template['id']}"
    edit = await client.get(edit_url, headers=HTML)
    assert 'value="2.50"' in edit.text and 'value="西藏自治区" checked' in edit.text
    saved = await post_form(client, edit_url, edit_url, {**RULES, "name": "华东优惠"})
    assert saved.status_code == 303
    listing = await client.get(base, headers=HTML)
    assert "华东优惠" in listing.text and "浙江省" in listing.text


async def test_bad_rules_show_errors_and_write_nothing(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}/shipping"
    use_session(client, owner)
    twice = {**RULES, "rules.3.provinces": "浙江省", "rules.3.first_units": "1"}
    twice |= {"rules.3.first_fee_fen": "1", "rules.3.additional_units": "1"}
    twice["rules.3.additional_fee_fen"] = "1"
    refused = await post_form(client, f"{base}/new", f"{base}/new", twice)
    assert refused.status_code == 422 and "浙江省" in refused.text and "field-error" in refused.text
    missing = await post_form(
        client, f"{base}/new", f"{base}/new", {**RULES, "rules.2.first_fee_fen": "abc"}
    )
    assert missing.status_code == 422 and 'id="e-rules.2.first_fee_fen"' in missing.text
    assert await templates_of(client, store_id, owner) == []


async def test_the_default_moves_and_the_default_cannot_go_first(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}/shipping"
    use_session(client, owner)
    await post_form(client, f"{base}/new", f"{base}/new", RULES)
    await post_form(client, f"{base}/new", f"{base}/new", {**RULES, "name": "全国统一"})
    first, second = await templates_of(client, store_id, owner)
    refused = await post_form(client, base, f"{base}/{first['id']}/delete", {})
    assert refused.status_code == 409 and "form-error" in refused.text
    moved = await post_form(client, base, f"{base}/{second['id']}/default", {})
    assert moved.status_code == 303
    assert (await post_form(client, base, f"{base}/{first['id']}/delete", {})).status_code == 303
    assert [t["name"] for t in await templates_of(client, store_id, owner)] == ["全国统一"]


async def test_customer_service_cannot_open_or_post_shipping(api, client) -> None:
    store_id, owner = await api.new_store()
    service = await api.add_staff(store_id, owner, "customer_service")
    base = f"/console/stores/{store_id}/shipping"
    use_session(client, owner)
    page = await client.get(f"/console/stores/{store_id}/orders", headers=HTML)
    use_session(client, service)
    assert (await client.get(base, headers=HTML)).status_code == 403
    form = {"csrf_token": csrf_of(page), **RULES}
    answer = await client.post(f"{base}/new", data=form, headers=HTML)
    assert answer.status_code == 403
    orders = await client.get(f"/console/stores/{store_id}/orders", headers=HTML)
    assert f"{base}" not in orders.text
