"""Clickjacking and injected script, swept over every route outside the API: each answer
forbids framing (CSP ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), every page
carries the Content-Security-Policy that lets only WeShop's own scripts and styles run, and
no template or rendered page needs inline script, an event handler attribute or a style
attribute (which that policy refuses). The browser tests (tests/e2e) check the same policy in
Chromium, which reports any violation."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from tests.support import Headers
from tests.tenancy.test_store_scope import populated_tenant
from weshop.app import jssdk_script_sources
from weshop.core.middleware import SecurityHeaders

HTML = {"Accept": "text/html,application/xhtml+xml"}
SRC = Path(__file__).resolve().parents[2] / "src" / "weshop"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE_ATTRIBUTE = re.compile(r"\s(on[a-z]+|style)\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """What in this HTML the pages' policy would refuse: inline scripts, ``<style>`` elements,
    event handler and style attributes."""
    found = INLINE_SCRIPT.findall(html) + re.findall(r"<style\b[^>]*>", html, re.IGNORECASE)
    found += [tag for tag in TAG.findall(html) if INLINE_ATTRIBUTE.search(tag)]
    return found


def app_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    """The app's routes, those of its included routers too (kept as one entry per router)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += app_routes(route.original_router.routes)
    return found


def site_routes(app) -> list[APIRoute]:
    """Every route of the app outside the JSON API: the pages, the sandbox cashier, the
    language switch, the API documentation."""
    return [
        route
        for route in app_routes(app.routes)
        if not route.path.startswith("/api/") and route.path not in {"/openapi.json", "/healthz"}
    ]


def assert_no_framing(answer, what: str) -> None:
    assert answer.headers.get("x-frame-options") == "DENY", what
    policy = answer.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{what}: {policy!r}"


def test_no_template_has_inline_script_or_style() -> None:
    offenders = {
        str(path.relative_to(SRC)): inline_code(path.read_text())
        for path in SRC.rglob("templates/**/*.html")
    }
    assert len(offenders) > 40
    assert {name: found for name, found in offenders.items() if found} == {}


async def test_every_page_route_refuses_framing_and_inline_code(app, api, client) -> None:
    tenant = await populated_tenant(api)
    operator = await api.operator()
    ids = {**{name: str(value) for name, value in tenant.ids.items()}, "action": "pause"}

    def session_for(path: str) -> Headers:
        return operator if path.startswith("/platform") else tenant.owner

    # Pages may also load WeChat's JS-SDK when an official account is configured.
    page_policy = SecurityHeaders(app, jssdk_script_sources(app.state.runtime.settings)).page_policy
    rendered = []
    for route in site_routes(app):
        path = PARAM.sub(lambda m: ids.get(m.group(1), "1"), route.path)
        signed_in = session_for(route.path)["Authorization"].removeprefix("Bearer ")
        for method, token in itertools.product(sorted(route.methods - {"HEAD"}), (None, signed_in)):
            client.cookies.clear()
            if token:
                client.cookies.set("weshop_session", token)
            answer = await client.request(method, path, headers=HTML)
            what = f"{method} {route.path} ({answer.status_code}, signed in: {bool(token)})"
            assert_no_framing(answer, what)
            if answer.headers.get("content-type", "").startswith("text/html"):
                policy = answer.headers["content-security-policy"]
                expected = (
                    SecurityHeaders.API_DOCS_POLICY
                    if route.path in SecurityHeaders.API_DOCS_PATHS
                    else page_policy
                )
                assert policy == expected, what
                assert inline_code(answer.text) == [], what
                if answer.status_code == 200:
                    rendered.append(route.path)
    # The sweep reached the pages themselves, not only their refusals.
    for page in ("/", "/signin", "/console/stores/{store_id}/orders/{order_id}", "/docs"):
        assert page in rendered, page
    assert len(rendered) > 50, rendered


def test_pages_may_load_wechats_js_sdk_only_with_an_official_account(settings) -> None:
    official = settings.model_copy(
        update={
            "wechat_official_appid": "wx8888888888888888",
            "wechat_store_apps": [],
            "wechat_jssdk_script_url": "https://res.wx.qq.com/open/js/jweixin-1.6.0.js",
        }
    )
    assert jssdk_script_sources(official) == ["https://res.wx.qq.com"]
    assert jssdk_script_sources(official.model_copy(update={"wechat_official_appid": ""})) == []
    policy = SecurityHeaders(None, jssdk_script_sources(official)).page_policy
    assert "script-src 'self' https://res.wx.qq.com;" in policy and "unsafe" not in policy


def test_the_page_policy_allows_no_inline_code_and_no_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in SecurityHeaders.PAGE_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in SecurityHeaders.PAGE_POLICY


async def test_api_answers_and_files_load_nothing_and_refuse_framing(api, client) -> None:
    owner = (await populated_tenant(api)).owner
    for answer in (
        await client.get("/api/v1/shop/stores"),
        await client.get("/api/v1/no/such/thing"),
        await client.get("/api/v1/me/orders", headers=owner),
        await client.get("/static/shop.css"),
        await client.get("/openapi.json"),
    ):
        assert answer.headers["content-security-policy"] == SecurityHeaders.OTHER_POLICY
        assert_no_framing(answer, str(answer.url))


async def test_the_api_docs_are_served_without_a_cdn(client) -> None:
    for path in SecurityHeaders.API_DOCS_PATHS:
        page = await client.get(path)
        assert page.status_code == 200, path
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(asset.startswith("/") for asset in assets), assets
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
