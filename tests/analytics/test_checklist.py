"""新手引导: the console home's first-run checklist ticks each step from the store's real data
and is hidden once every step is done (it can be shown again)."""

from __future__ import annotations

import re

from tests.analytics.support import page, use_session
from tests.logistics.support import template_body
from tests.support import expect
from weshop.analytics.checklist import store_checklist

COUPON = {
    "name": "新人券",
    "kind": "fixed",
    "amount_off_fen": 500,
    "threshold_fen": 5000,
    "valid_days_after_claim": 7,
    "total_quantity": 100,
}


def ticked(html: str) -> set[str]:
    return set(re.findall(r'class="guide-step guide-done" data-step="(\w+)"', html))


def steps(html: str) -> set[str]:
    return set(re.findall(r'data-step="(\w+)"', html))


async def test_steps_tick_themselves_and_the_list_hides_when_done(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    home = f"/console/stores/{store_id}"
    merchant = f"/api/v1/merchant/stores/{store_id}"

    first = (await page(client, home)).text
    assert "新手引导" in first and ticked(first) == set()
    assert {"logo", "product", "shipping", "coupon"} <= steps(first)
    assert f'href="{home}/products/new"' in first and f'href="{home}/shipping/new"' in first

    await api.create_product(store_id, owner)  # published by the helper
    expect(
        await client.patch(
            merchant, json={"logo_url": "https://img.example.com/logo.png"}, headers=owner
        ),
        200,
    )
    middle = (await page(client, home)).text
    assert ticked(middle) == {"logo", "product"}

    expect(
        await client.post(
            f"{merchant}/shipping-templates", json=template_body("全国包邮"), headers=owner
        ),
        201,
    )
    expect(await client.post(f"{merchant}/coupon-templates", json=COUPON, headers=owner), 201)
    done = (await page(client, home)).text
    # The sandbox takes every store's payments: no payment-account step.
    assert steps(done) == set() and "查看新手引导" in done
    again = (await page(client, home, guide="1")).text
    assert ticked(again) == {"logo", "product", "shipping", "coupon"}
    assert "全部完成" in again

    other_id, _ = await api.new_store("别家小店")
    assert (await page(client, f"/console/stores/{other_id}")).status_code == 404


async def test_the_payment_account_step_where_stores_are_paid_as_sub_merchants(
    client, api, runtime
) -> None:
    store_id, _ = await api.new_store()
    async with runtime.db.transaction() as session:
        before = await store_checklist(session, store_id, sub_merchant_needed=True)
    assert [s.key for s in before.steps if not s.done] == [
        "logo",
        "product",
        "shipping",
        "payment",
        "coupon",
    ]
    # The step leads to the 进件 form, where the owner applies.
    [payment] = [s for s in before.steps if s.key == "payment"]
    assert payment.path == "/payments/applyment"
    form = await client.get(
        f"/console/stores/{store_id}{payment.path}", headers={"accept": "text/html"}
    )
    assert form.status_code != 404
    expect(
        await client.put(
            f"/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay",
            json={"sub_mchid": "1900000109"},
            headers=await api.operator(),
        ),
        200,
    )
    async with runtime.db.transaction() as session:
        after = await store_checklist(session, store_id, sub_merchant_needed=True)
    assert [s.key for s in after.steps if s.done] == ["payment"]


async def test_staff_see_the_steps_they_cannot_do_without_their_links(client, api) -> None:
    store_id, owner = await api.new_store()
    service = await api.add_staff(store_id, owner, "customer_service")
    home = f"/console/stores/{store_id}"
    use_session(client, service)
    page = await client.get(home, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'data-step="logo"' in page.text
    for path in ("/settings", "/products/new", "/shipping/new", "/coupons/new"):
        assert f'href="{home}{path}"' not in page.text
    use_session(client, owner)
    page = await client.get(home, headers={"accept": "text/html"})
    for path in ("/settings", "/products/new", "/shipping/new", "/coupons/new"):
        assert f'href="{home}{path}"' in page.text
