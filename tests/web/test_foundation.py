"""What every page shares: HTML errors in the visitor's language, the language switch, CSRF on
every state-changing page route, and a complete Chinese catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute

from tests.support import new_phone
from weshop.accounts import repository as accounts_repo
from weshop.accounts import service as accounts
from weshop.core.errors import Conflict
from weshop.routes import MERCHANT_CONSOLE_PAGES, PLATFORM_CONSOLE_PAGES, STOREFRONT_PAGES
from weshop.web.forms import undo_on_error
from weshop.web.i18n import LOCALES_DIR, translations
from weshop.web.pages import local_path

HTML = {"Accept": "text/html,application/xhtml+xml"}
SRC = Path(__file__).resolve().parents[2] / "src" / "weshop"


async def test_an_unknown_page_is_a_page_in_chinese_and_the_api_keeps_json(client) -> None:
    page = await client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text and "找不到该页面" in page.text
    api = await client.get("/api/v1/no/such/thing", headers=HTML)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


async def test_the_language_switch_remembers_english(client) -> None:
    switched = await client.get("/lang", params={"to": "en", "next": "/no/such/page"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/no/such/page"
    page = await client.get("/no/such/page", headers=HTML)
    assert "We could not find that page." in page.text
    assert '<html lang="en">' in page.text
    await client.get("/lang", params={"to": "zh-CN"})
    assert "找不到该页面" in (await client.get("/no/such/page", headers=HTML)).text


async def test_an_unknown_language_changes_nothing(client) -> None:
    await client.get("/lang", params={"to": "xx"})
    assert '<html lang="zh-CN">' in (await client.get("/no/such/page", headers=HTML)).text


def test_going_back_only_goes_to_this_site() -> None:
    assert local_path("/s/1?x=2") == "/s/1?x=2"
    for outside in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)", "", None):
        assert local_path(outside) == "/"


def _page_routes() -> list[APIRoute]:
    """Every page route: those of the routers the storefront and the consoles put on the app."""
    routers = (*STOREFRONT_PAGES, *MERCHANT_CONSOLE_PAGES, *PLATFORM_CONSOLE_PAGES)
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


async def test_every_state_changing_page_refuses_a_post_without_the_csrf_token(client) -> None:
    """A sweep over every page route that is not a GET: without the token nothing runs."""
    checked = []
    for route in _page_routes():
        for method in sorted(route.methods - {"GET", "HEAD"}):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            answer = await client.request(method, path, data={"anything": "1"}, headers=HTML)
            assert answer.status_code == 403, f"{method} {route.path}: {answer.status_code}"
            assert "csrf_failed" in answer.text, f"{method} {route.path}"
            checked.append(route.path)
    assert "/checkout" in checked and len(checked) >= 10, checked


def test_every_message_of_the_pages_has_a_chinese_translation() -> None:
    """Messages marked in templates (``_()``, ``trans``) and in Python (``N_``, ``gettext``)."""
    catalogue = translations("zh-CN")
    # Every templates folder: the shared ones in web/ and each domain's.
    method_map = [("**/templates/**.html", "jinja2")]
    method_map += [("**.py", "python")]
    keywords = {"_": None, "N_": None, "gettext": (2,), "ngettext": (1, 2)}
    missing = set()
    for _file, _line, message, _comments, *_ in extract_from_dir(
        SRC,
        method_map=method_map,
        keywords=keywords,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        messages = message if isinstance(message, tuple) else (message,)
        for text in messages:
            if text and catalogue.gettext(text) == text:
                missing.add(text)
    assert not missing, f"no zh_CN translation for: {sorted(missing)}"


async def test_a_refused_form_writes_nothing(runtime) -> None:
    """undo_on_error: the service's writes before its refusal are undone, the request goes on."""
    phone = new_phone()
    async with runtime.db.transaction() as session:
        try:
            async with undo_on_error(session):
                await accounts.create_operator(session, phone, "operator-password", "运营")
                await session.flush()
                raise Conflict("refused after a write")
        except Conflict:
            pass
    async with runtime.db.transaction() as session:
        assert await accounts_repo.user_by_phone(session, phone) is None


def test_a_message_reads_the_same_in_every_catalogue() -> None:
    """Each part of the site keeps its own .po file, merged into one catalogue: a message id
    translated two ways would read one way or the other by file order. Give such a message
    an id of its own instead."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po_path in sorted((LOCALES_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file):
                if not message.id or not isinstance(message.id, str):
                    continue
                first = seen.setdefault(message.id, (po_path.name, message.string))
                if first[1] != message.string:
                    clashes.append((message.id, first, (po_path.name, message.string)))
    assert len(seen) > 100
    assert not clashes, clashes
