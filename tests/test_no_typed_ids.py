"""Operators and merchants pick things, they never type ids: no form of the merchant console
or the platform console has a free-text field for an id.

A field whose name ends in ``_id`` must be hidden (the page chose it), a ``<select>``, or a
radio or checkbox of a list the page shows. Every GET page of both consoles is rendered with
a populated store, so a new form is covered the day it is added.
"""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.routing import APIRoute

from tests.stores.test_platform_console import operator_signs_in
from tests.tenancy.test_page_scope import HTML, fill
from tests.tenancy.test_store_scope import populated_tenant
from weshop.routes import MERCHANT_CONSOLE_PAGES, PLATFORM_CONSOLE_PAGES

PICKED = {"hidden", "radio", "checkbox"}


class TypedIds(HTMLParser):
    """The ``name`` of every text-like input inside a form whose name ends in ``_id``."""

    def __init__(self) -> None:
        super().__init__()
        self.typed: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("name") or ""
        kind = (values.get("type") or "text").lower()
        if tag in {"input", "textarea"} and name.endswith("_id") and kind not in PICKED:
            self.typed.append(name)


def get_pages(routers) -> list[str]:
    return [
        route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    ]


def typed_ids(html: str) -> list[str]:
    parser = TypedIds()
    parser.feed(html)
    return parser.typed


def test_the_parser_sees_a_typed_id():
    assert typed_ids('<form><input name="category_id" inputmode="numeric"></form>') == [
        "category_id"
    ]
    assert typed_ids('<form><input type="hidden" name="store_id" value="1"></form>') == []
    assert typed_ids('<form><select name="store_id"></select></form>') == []


async def test_no_console_form_asks_to_type_an_id(api, client):
    tenant = await populated_tenant(api)
    problems, checked = [], 0
    client.cookies.set("weshop_session", tenant.owner["Authorization"].removeprefix("Bearer "))
    for template in get_pages(MERCHANT_CONSOLE_PAGES):
        answer = await client.get(fill(template, tenant.ids), headers=HTML)
        if answer.status_code == 200:
            checked += 1
            problems += [f"{template}: {name}" for name in typed_ids(answer.text)]
    client.cookies.clear()
    await operator_signs_in(api, client)
    for template in get_pages(PLATFORM_CONSOLE_PAGES):
        answer = await client.get(fill(template, tenant.ids), headers=HTML)
        if answer.status_code == 200:
            checked += 1
            problems += [f"{template}: {name}" for name in typed_ids(answer.text)]
    assert problems == []
    assert checked >= 40
