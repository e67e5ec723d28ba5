"""The merchant console's pickup points: added, edited and closed through the form."""

from __future__ import annotations

from tests.orders.test_console import HTML, post_form, use_session
from tests.support import expect

FORM = {
    "name": "学院路门店",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "address": "学院路 8 号",
    "opening_hours": "每天 09:00-21:00",
    "phone": "0571-88886666",
    "is_active": "1",
}


async def test_a_pickup_point_is_added_then_closed_in_the_console(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}/pickup-points"
    use_session(client, owner)
    assert "还没有自提点" in (await client.get(base, headers=HTML)).text
    created = await post_form(client, f"{base}/new", f"{base}/new", FORM)
    assert created.status_code == 303, created.text
    [point] = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/pickup-points", headers=owner), 200
    )
    assert point["is_active"] and point["address"] == "学院路 8 号"
    edit = f"{base}/{point['id']}"
    closed = await post_form(
        client, edit, edit, {k: v for k, v in FORM.items() if k != "is_active"}
    )
    assert closed.status_code == 303
    listing = (await client.get(base, headers=HTML)).text
    assert "学院路门店" in listing and "已停用" in listing


async def test_a_bad_pickup_point_shows_errors_and_writes_nothing(api, client) -> None:
    store_id, owner = await api.new_store()
    base = f"/console/stores/{store_id}/pickup-points"
    use_session(client, owner)
    refused = await post_form(client, f"{base}/new", f"{base}/new", {**FORM, "name": ""})
    assert refused.status_code == 422 and "has-error" in refused.text
    assert (
        expect(
            await client.get(f"/api/v1/merchant/stores/{store_id}/pickup-points", headers=owner),
            200,
        )
        == []
    )
