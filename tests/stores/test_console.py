"""The console's store settings and staff: what each role sees and may do."""

from __future__ import annotations

import re

from tests.analytics.support import page, redirected_to, submit, use_session
from tests.catalog.test_console import PNG
from tests.support import expect, new_phone

SETTINGS = {
    "name": "山野农场旗舰店",
    "description": "高山茶与蜂蜜",
    "payment_window_minutes": "45",
    "auto_confirm_days": "12",
    "auto_confirm_after_delivery_days": "2",
    "aftersales_days": "14",
}


async def test_the_owner_saves_settings_and_a_logo(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    form = await page(client, f"/console/stores/{store_id}/settings")
    assert form.status_code == 200 and 'aria-current="page"' in form.text
    answer = await submit(
        client,
        f"/console/stores/{store_id}/settings",
        SETTINGS,
        files={"logo": ("logo.png", PNG, "image/png")},
    )
    assert redirected_to(answer).endswith("/settings?done=saved")
    store = expect(await client.get(f"/api/v1/merchant/stores/{store_id}", headers=owner), 200)
    assert store["name"] == "山野农场旗舰店" and store["payment_window_minutes"] == 45
    assert (store["auto_confirm_days"], store["aftersales_days"]) == (12, 14)
    assert store["auto_confirm_after_delivery_days"] == 2
    assert store["logo_url"].startswith("/media/")
    assert store["logo_url"] in (await page(client, f"/console/stores/{store_id}/settings")).text


async def test_bad_settings_show_field_errors_and_change_nothing(client, api) -> None:
    store_id, owner = await api.new_store("原来的名字")
    use_session(client, owner)
    bad = {
        **SETTINGS,
        "name": "",
        "payment_window_minutes": "2",
        "aftersales_days": "x",
        "auto_confirm_after_delivery_days": "31",
    }
    answer = await submit(client, f"/console/stores/{store_id}/settings", bad)
    assert answer.status_code == 422
    for field in (
        "name",
        "payment_window_minutes",
        "aftersales_days",
        "auto_confirm_after_delivery_days",
    ):
        assert f'id="e-{field}"' in answer.text, field
    not_image = await submit(
        client,
        f"/console/stores/{store_id}/settings",
        SETTINGS,
        files={"logo": ("logo.png", b"not an image", "image/png")},
    )
    assert not_image.status_code == 422 and 'id="e-logo"' in not_image.text
    store = expect(await client.get(f"/api/v1/merchant/stores/{store_id}", headers=owner), 200)
    assert store["name"] == "原来的名字"


async def test_the_owner_invites_changes_a_role_and_removes_staff(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    base = f"/console/stores/{store_id}/staff"
    phone = new_phone()
    redirected_to(await submit(client, base, {"phone": phone, "role": "finance"}))
    listing = await page(client, base)
    assert f"{phone[:3]}****{phone[-4:]}" in listing.text and phone not in listing.text
    again = await submit(client, base, {"phone": phone, "role": "operator"})
    assert again.status_code == 409 and 'id="e-phone"' in again.text
    bad = await submit(client, base, {"phone": "123", "role": "owner_of_all"})
    assert bad.status_code == 422 and 'id="e-phone"' in bad.text

    member_id = int(re.findall(r'/staff/(\d+)/role"', listing.text)[-1])
    redirected_to(await submit(client, f"{base}/{member_id}/role", {"role": "customer_service"}))
    staff = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/staff", headers=owner), 200
    )
    assert {m["id"]: m["role"] for m in staff}[member_id] == "customer_service"
    owner_id = next(m["id"] for m in staff if m["role"] == "owner")
    refused = await submit(client, f"{base}/{owner_id}/remove")
    assert refused.status_code == 409
    redirected_to(await submit(client, f"{base}/{member_id}/remove"))
    staff = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/staff", headers=owner), 200
    )
    assert member_id not in {m["id"] for m in staff}


async def test_an_operator_sees_staff_without_forms_and_is_refused(client, api) -> None:
    store_id, owner = await api.new_store()
    operator = await api.add_staff(store_id, owner, "operator")
    use_session(client, operator)
    dashboard = await page(client, f"/console/stores/{store_id}")
    assert f'href="/console/stores/{store_id}/settings"' not in dashboard.text
    listing = await page(client, f"/console/stores/{store_id}/staff")
    assert listing.status_code == 200 and "/remove" not in listing.text
    assert 'name="phone"' not in listing.text
    assert (await page(client, f"/console/stores/{store_id}/settings")).status_code == 403
    refused = await submit(client, f"/console/stores/{store_id}/settings", SETTINGS)
    assert refused.status_code == 403
    invite = await submit(
        client, f"/console/stores/{store_id}/staff", {"phone": new_phone(), "role": "finance"}
    )
    assert invite.status_code == 403
    other_id, _ = await api.new_store("别家小店")
    assert (await page(client, f"/console/stores/{other_id}/staff")).status_code == 404
