"""Every page and every API read survives any date the database holds.

Input is checked at the edge (``core.clock.Moment``), but rows written before that, or by
hand, may hold 9999-12-31 or year 1, where adding China's offset or a day overflows Python's
calendar. Here every date and time column of every table is set to such a value, then every
GET page (storefront, merchant console, platform console) and every GET of the API is asked
for: each answers, none with a 500.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Date, update

from tests.support import Headers, expect
from tests.tenancy.test_store_scope import Tenant, endpoints, fill, populated_tenant
from tests.web.test_foundation import _page_routes
from weshop.core.db import UTCDateTime
from weshop.models import metadata

HTML = {"Accept": "text/html,application/xhtml+xml"}
# Rows that keep the visitors signed in and the limits counting.
KEPT_TABLES = {"auth_sessions", "login_codes", "rate_counters"}
EXTREMES = [
    (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), date(9999, 12, 31)),
    (datetime(1, 1, 1, tzinfo=UTC), date(1, 1, 1)),
]


async def store_everywhere(runtime, moment: datetime, day: date) -> int:
    """Sets every date and time column of every table to ``moment`` / ``day``."""
    changed = 0
    async with runtime.db.transaction() as session:
        for table in metadata.sorted_tables:
            if table.name in KEPT_TABLES:
                continue
            values = {}
            for column in table.columns:
                if isinstance(column.type, UTCDateTime):
                    values[column.name] = moment
                elif isinstance(column.type, Date):
                    values[column.name] = day
            if values:
                await session.execute(update(table).values(**values))
                changed += len(values)
    return changed


async def a_bit_of_everything(api, client) -> tuple[Tenant, Headers]:
    """A store with one of everything (coupons claimed into the wallet, a reduction, a paid
    order with a ledger entry, an unpaid one with its payment) and the platform's operator."""
    tenant = await populated_tenant(api)
    operator = await api.operator()
    templates = f"/api/v1/merchant/stores/{tenant.store_id}/coupon-templates"
    window = {"valid_from": "2000-01-01T00:00:00Z", "valid_until": "2100-12-31T23:59:59Z"}
    made = {}
    for url, headers in (
        (templates, tenant.owner),
        ("/api/v1/platform/coupon-templates", operator),
    ):
        template = expect(
            await client.post(
                url,
                json={
                    "name": "长期券",
                    "kind": "no_threshold",
                    "amount_off_fen": 100,
                    "total_quantity": 10,
                    **window,
                },
                headers=headers,
            ),
            201,
        )
        made[headers is operator] = template["id"]
        claim = {"template_id": template["id"]}
        expect(
            await client.post("/api/v1/me/coupons/claims", json=claim, headers=tenant.shopper), 201
        )
    for order_id in (tenant.ids["order_id"], tenant.ids["group_order_id"]):
        paid = await api.start_payment(tenant.shopper, order_id)
        await api.confirm_in_cashier(paid)
    address_id = tenant.ids["address_id"]
    unpaid = expect(
        await api.place_order(tenant.shopper, address_id, [(tenant.ids["sku_id"], 1)]), 201
    )
    payment = await api.start_payment(tenant.shopper, unpaid["orders"][0]["id"])
    tenant.ids["out_trade_no"] = payment["out_trade_no"]
    tenant.ids["platform_coupon_template_id"] = made[True]
    return tenant, operator


# Pages where a date of the database is shown; each must render (200), not only not fail.
SHOWN_DATES = [
    "/coupons",
    "/me/coupons",
    "/me/orders",
    "/me/orders/{order_id}",
    "/console/stores/{store_id}/coupons",
    "/console/stores/{store_id}/coupons/{coupon_template_id}",
    "/console/stores/{store_id}/reductions",
    "/console/stores/{store_id}/reductions/{reduction_id}",
    "/console/stores/{store_id}/orders",
    "/console/stores/{store_id}/orders/{order_id}",
    "/console/stores/{store_id}/finance",
    "/console/stores/{store_id}",
    "/platform/coupons",
    "/platform/coupons/{coupon_template_id}",
    "/platform/settlements",
    "/g/{group_id}",
    "/me/groups",
    "/console/stores/{store_id}/group-buys",
    "/console/stores/{store_id}/group-buys/{campaign_id}",
    "/console/stores/{store_id}/group-buys/{campaign_id}/edit",
]


def ids_for(path: str, tenant: Tenant) -> dict[str, int | str]:
    if path.startswith(("/platform", "/api/v1/platform/")):
        return {**tenant.ids, "coupon_template_id": tenant.ids["platform_coupon_template_id"]}
    return tenant.ids


def who_asks(path: str, tenant: Tenant, operator: Headers) -> Headers:
    if path.startswith(("/platform", "/api/v1/platform/")):
        return operator
    if path.startswith(("/console", "/api/v1/merchant/")):
        return tenant.owner
    return tenant.shopper


@pytest.mark.parametrize("moment, day", EXTREMES, ids=["9999", "year-1"])
async def test_no_page_or_read_fails_on_the_extreme_dates_of_the_calendar(
    api, app, client, runtime, moment, day
) -> None:
    tenant, operator = await a_bit_of_everything(api, client)
    assert await store_everywhere(runtime, moment, day) >= 30
    failures = []
    pages = [route.path for route in _page_routes() if "GET" in route.methods]
    reads = [e.template for e in endpoints(app, "/api/v1/") if e.method == "GET"]
    assert len(pages) >= 50 and len(reads) >= 40 and set(SHOWN_DATES) <= set(pages)
    for path in pages + reads:
        headers = who_asks(path, tenant, operator)
        client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))
        answer = await client.get(fill(path, ids_for(path, tenant)), headers={**headers, **HTML})
        if answer.status_code >= 500:
            failures.append(f"{path}: {answer.status_code}")
        elif path in SHOWN_DATES and answer.status_code != 200:
            failures.append(f"{path}: {answer.status_code}, not shown")
    assert not failures, failures
