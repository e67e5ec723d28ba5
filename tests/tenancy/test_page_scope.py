"""Tenancy, swept over every page route: through the merchant console, another store's objects
answer a 404 page that shows none of their data, and a post naming one (with a valid CSRF
token) changes nothing; on the storefront, another shopper's things do the same.

The sweep walks the page routers the app is built from, so a new console page with a path id is
covered the day it is added; one whose path parameters this file cannot fill fails until it can.
"""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.support import Api, Headers, expect
from tests.tenancy.test_store_scope import PARAM, Tenant, populated_tenant
from weshop.models import metadata
from weshop.routes import MERCHANT_CONSOLE_PAGES, STOREFRONT_PAGES

HTML = {"Accept": "text/html,application/xhtml+xml"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# Path parameters that are not ids of a tenant's objects: a valid value, so that the scope (and
# not the parameter's validation) is what answers.
NOT_IDS = {"action": "pause"}
# Stand-ins for ids a tenant may not have: a tenant's own (its licence image on the shop's
# side) wins.
STAND_INS = {"image_id": "1"}
# A form that passes validation for each console post that needs one, so that a 404 (not a
# form shown again with its errors) is what tells us the scope held.
VALID_FORMS: dict[str, dict[str, str]] = {
    "/console/stores/{store_id}/staff/{member_id}/role": {"role": "finance"},
    "/console/stores/{store_id}/reviews/{review_id}/reply": {"text": "谢谢"},
    "/console/stores/{store_id}/reviews/{review_id}/report": {"reason": "测试"},
}
# The action of each route whose Literal does not take "pause".
ACTIONS = {
    "/console/stores/{store_id}/products/{product_id}/images/{image_id}/{action}": "remove",
    "/console/stores/{store_id}/products/{product_id}/specs/{action}": "retire",
}


def page_routes(routers) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods - {"HEAD"})
    ]


def fill(template: str, ids: dict[str, int]) -> str:
    values = STAND_INS | {name: str(value) for name, value in ids.items()}
    values |= NOT_IDS | ({"action": ACTIONS[template]} if template in ACTIONS else {})
    missing = [name for name in PARAM.findall(template) if name not in values]
    assert not missing, f"teach the page tenancy sweep how to fill {missing} in {template}"
    return PARAM.sub(lambda m: values[m.group(1)], template)


async def marked_tenant(api: Api, marker: str) -> Tenant:
    """A populated tenant whose store and product carry names no other tenant has."""
    tenant = await populated_tenant(api)
    base = f"/api/v1/merchant/stores/{tenant.store_id}"
    client = api.client
    expect(await client.patch(base, json={"name": f"{marker}店"}, headers=tenant.owner), 200)
    expect(
        await client.patch(
            f"{base}/products/{tenant.ids['product_id']}",
            json={"title": f"{marker}商品"},
            headers=tenant.owner,
        ),
        200,
    )
    return tenant


async def database_rows(runtime) -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave as it was."""
    rows = {}
    async with runtime.db.transaction() as session:
        for table in metadata.sorted_tables:
            result = await session.execute(select(table))
            rows[table.name] = sorted(map(repr, result.all()))
    return rows


async def csrf_token_of(client: httpx.AsyncClient, headers: Headers, page: str) -> str:
    client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))
    answer = await client.get(page, headers=HTML, follow_redirects=True)
    found = TOKEN.search(answer.text)
    assert found, f"no form on {page}"
    return found.group(1)


def not_found_page_problem(answer: httpx.Response, secrets: list[str]) -> str | None:
    """What is wrong with this answer to a request for another tenant's object, if anything."""
    if answer.status_code != 404 or not answer.headers["content-type"].startswith("text/html"):
        return f"{answer.status_code} {answer.headers.get('location', '')}"
    leaked = [secret for secret in secrets if secret in answer.text]
    return f"shows {leaked}" if leaked else None


async def test_staff_of_one_store_get_a_404_page_for_every_object_of_another(api, client, runtime):
    a = await marked_tenant(api, "甲")
    b = await marked_tenant(api, "乙")
    secrets = ["乙店", "乙商品"]
    token = await csrf_token_of(client, a.owner, "/console")
    b_in_a = dict(b.ids, store_id=a.store_id, invitation_id=b.ids["member_id"])
    before = await database_rows(runtime)
    checked, problems = [], []
    for method, template in page_routes(MERCHANT_CONSOLE_PAGES):
        names = PARAM.findall(template)
        if not names:
            continue
        attempts = [b_in_a] if "store_id" not in names else [b.ids]
        if len(names) > 1 and "store_id" in names:
            attempts.append(b_in_a)
        for ids in attempts:
            path = fill(template, ids)
            data = {"csrf_token": token, **VALID_FORMS.get(template, {})}
            answer = await client.request(
                method, path, data=data if method == "POST" else None, headers=HTML
            )
            problem = not_found_page_problem(answer, secrets)
            if problem:
                problems.append(f"{method} {path} ({template}): {problem}")
        checked.append((method, template))
    assert problems == []
    assert await database_rows(runtime) == before, "a refused console request changed data"
    posts = [template for method, template in checked if method == "POST"]
    assert len(checked) >= 40 and len(posts) >= 20, checked


async def test_a_shopper_gets_a_404_page_for_another_shoppers_things(api, client, runtime):
    a = await populated_tenant(api)
    b = await populated_tenant(api)
    token = await csrf_token_of(client, a.shopper, "/me")
    before = await database_rows(runtime)
    checked, problems = [], []
    for method, template in page_routes(STOREFRONT_PAGES):
        names = PARAM.findall(template)
        # Stores, products, payment returns, group buys, groups, bargains, flash-sale items
        # and promoters' share links are public (found by anyone who has the link: a group's
        # link is shared to be joined, a bargain's for friends to help, a share link to be
        # followed).
        public = {
            "store_id",
            "product_id",
            "out_trade_no",
            "campaign_id",
            "group_id",
            "bargain_id",
            "flash_item_id",
            "code",
        }
        if not names or set(names) & public:
            continue
        path = fill(template, b.ids)
        data = {"csrf_token": token} if method == "POST" else None
        answer = await client.request(method, path, data=data, headers=HTML)
        location = answer.headers.get("location", "")
        # The cart answers a form about a line it cannot find on the shopper's own cart, with
        # the error; a visit to an order's payment goes to the order (which must be a 404).
        if answer.status_code == 303 and "error=not_found" in location:
            checked.append(template)
            continue
        if answer.status_code == 303 and location.startswith("/"):
            answer = await client.get(location, headers=HTML)
        problem = not_found_page_problem(answer, [])
        if problem:
            problems.append(f"{method} {path} ({template}): {problem}")
        checked.append(template)
    assert problems == []
    assert await database_rows(runtime) == before, "a refused storefront request changed data"
    assert len(checked) >= 10, checked
