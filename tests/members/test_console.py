"""The merchant console's members page: the level ladder, the rules, the member list."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.orders.test_console import HTML, paid_order, post_form, use_session
from tests.support import expect
from weshop.members.models import MemberLevel


async def levels_of(api, store_id: int, owner) -> list[dict]:
    url = f"/api/v1/merchant/stores/{store_id}/member-levels"
    return expect(await api.client.get(url, headers=owner), 200)


async def test_levels_are_added_changed_and_deleted(api, client) -> None:
    store_id, owner = await api.new_store()
    url = f"/console/stores/{store_id}/members"
    use_session(client, owner)
    added = await post_form(
        client,
        url,
        f"{url}/levels",
        {"name": "普通会员", "growth_threshold": "0", "pay_percent": "100"},
    )
    assert added.status_code == 303
    gold = {"name": "黄金会员", "growth_threshold": "1000", "pay_percent": "95"}
    assert (await post_form(client, url, f"{url}/levels", gold)).status_code == 303
    levels = await levels_of(api, store_id, owner)
    assert [(lv["name"], lv["pay_percent"]) for lv in levels] == [
        ("普通会员", 100),
        ("黄金会员", 95),
    ]

    page = await client.get(url, headers=HTML)
    assert "黄金会员" in page.text
    changed = await post_form(
        client, url, f"{url}/levels/{levels[1]['id']}", {**gold, "pay_percent": "90"}
    )
    assert changed.status_code == 303
    assert (await levels_of(api, store_id, owner))[1]["pay_percent"] == 90
    deleted = await post_form(client, url, f"{url}/levels/{levels[1]['id']}/delete", {})
    assert deleted.status_code == 303
    assert len(await levels_of(api, store_id, owner)) == 1


async def test_a_bad_level_shows_errors_and_writes_nothing(api, client) -> None:
    store_id, owner = await api.new_store()
    url = f"/console/stores/{store_id}/members"
    use_session(client, owner)
    no_base = await post_form(
        client, url, f"{url}/levels", {"name": "黄金会员", "growth_threshold": "10"}
    )
    assert no_base.status_code == 422
    assert 'id="e-growth_threshold"' in no_base.text and 'value="黄金会员"' in no_base.text
    too_cheap = await post_form(
        client, url, f"{url}/levels", {"name": "x", "growth_threshold": "0", "pay_percent": "0"}
    )
    assert too_cheap.status_code == 422 and 'id="e-pay_percent"' in too_cheap.text
    async with api.runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(MemberLevel)) == 0


async def test_rules_are_saved_and_points_can_never_expire(api, client) -> None:
    store_id, owner = await api.new_store()
    url = f"/console/stores/{store_id}/members"
    use_session(client, owner)
    rules = {
        "growth_per_yuan": "2",
        "points_per_yuan": "5",
        "fen_per_point": "1",
        "max_share_percent": "30",
        "points_expire_days": "",
        "points_never_expire": "1",
    }
    assert (await post_form(client, url, f"{url}/rules", rules)).status_code == 303
    saved = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/member-rules", headers=owner), 200
    )
    assert saved["points_per_yuan"] == 5 and saved["points_expire_days"] is None
    bad = await post_form(client, url, f"{url}/rules", {**rules, "max_share_percent": "150"})
    assert bad.status_code == 422 and 'id="e-max_share_percent"' in bad.text


async def test_members_are_listed_with_masked_phones_and_found_by_phone(
    api, client, runner
) -> None:
    shop = await paid_order(api, runner)
    ship = f"/api/v1/merchant/stores/{shop.store_id}/orders/{shop.order['id']}/shipments"
    body = {"packages": [{"carrier": "顺丰", "tracking_no": "SF12345678"}]}
    expect(await client.post(ship, json=body, headers=shop.owner), 200)
    confirm = f"/api/v1/me/orders/{shop.order['id']}/confirm-receipt"
    expect(await client.post(confirm, headers=shop.shopper), 200)
    url = f"{shop.base}/members"
    use_session(client, shop.owner)
    page = await client.get(url, headers=HTML)
    phone = shop.shopper_phone
    masked = phone[:3] + "****" + phone[-4:]
    assert masked in page.text and phone not in page.text
    found = await client.get(url, params={"phone": phone}, headers=HTML)
    assert masked in found.text
    other = await client.get(url, params={"phone": "13100000000"}, headers=HTML)
    assert masked not in other.text


async def test_customer_service_reads_members_but_cannot_change_the_rules(api, client) -> None:
    store_id, owner = await api.new_store()
    service = await api.add_staff(store_id, owner, "customer_service")
    url = f"/console/stores/{store_id}/members"
    use_session(client, service)
    page = await client.get(url, headers=HTML)
    assert page.status_code == 200 and f'action="{url}/levels"' not in page.text
    refused = await post_form(client, url, f"{url}/levels", {"name": "x", "growth_threshold": "0"})
    assert refused.status_code == 403
    finance = await api.add_staff(store_id, owner, "finance")
    use_session(client, finance)
    assert (await client.get(url, headers=HTML)).status_code == 403
