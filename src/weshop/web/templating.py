"""The one Jinja2 environment of the pages, and ``render`` which every page answers with.

A domain's templates sit beside its pages, in ``weshop/<domain>/templates``, and are named
with the domain first: ``orders/console/list.html`` is
``weshop/orders/templates/console/list.html``. The templates the pages share (``base.html``,
``error.html``, the layouts and macros of ``shop/``, ``console/`` and ``platform/``, the API
documentation) sit in ``web/templates`` and have no prefix. The domains' folders are found on
disk when the environment is built, not registered by importing a module.

Templates translate with ``{{ _("...") }}`` / ``{% trans %}`` (gettext, new style: named
placeholders ``%(name)s``); the catalogue is chosen per render, so one environment serves
every language at once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.support import NullTranslations
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    select_autoescape,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse

from weshop.core.clock import CHINA_TZ
from weshop.core.money import format_yuan
from weshop.web.csrf import CSRF_FIELD, csrf_token, remember_browser
from weshop.web.i18n import LANGUAGES, request_language, translations

TEMPLATES_DIR = Path(__file__).parent / "templates"
PACKAGE_DIR = Path(__file__).parents[1]


# The catalogue of the page being rendered; a context variable, so that imported macros
# (which do not see the page's context) translate too.
_page_translations: ContextVar[NullTranslations] = ContextVar("page_translations")


def _gettext(message: str) -> str:
    return _page_translations.get().gettext(message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _page_translations.get().ngettext(singular, plural, count)


def shop_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as people in China read it, to the minute unless ``pattern`` says otherwise.

    A moment at the very end of the calendar (9999-12-31, stored before input was checked)
    has no China time; it is shown as stored rather than failing the page."""
    if moment is None:
        return ""
    try:
        return moment.astimezone(CHINA_TZ).strftime(pattern)
    except OverflowError:
        return moment.strftime(pattern)


def domain_template_dirs() -> dict[str, Path]:
    """``weshop/<domain>/templates`` of every domain that has one, by domain name."""
    return {
        folder.parent.name: folder
        for folder in sorted(PACKAGE_DIR.glob("*/templates"))
        if folder.is_dir() and folder != TEMPLATES_DIR
    }


def _loader() -> ChoiceLoader:
    domains = {name: FileSystemLoader(folder) for name, folder in domain_template_dirs().items()}
    return ChoiceLoader([FileSystemLoader(TEMPLATES_DIR), PrefixLoader(domains)])


def _build_environment() -> Environment:
    environment = Environment(
        loader=_loader(),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    environment.filters["yuan"] = format_yuan
    environment.filters["shop_time"] = shop_time
    return environment


environment = _build_environment()

# What domains above the toolkit add to the end of every storefront page (set by
# ``weshop.routes``): each gets the request and answers None or a dict with the ``template`` to
# include (seen there as ``part``). Storefront pages are kept for every visitor, so a part may
# depend on the installation's settings, never on the visitor.
ShopPagePart = Callable[[Request], dict[str, Any] | None]
SHOP_PAGE_PARTS: list[ShopPagePart] = []


def _shop_page_parts(request: Request) -> list[dict[str, Any]]:
    return [shown for part in SHOP_PAGE_PARTS if (shown := part(request)) is not None]


environment.globals["shop_page_parts"] = _shop_page_parts

# The tab bar's tab of a storefront path: a page nested under a section lights that
# section's tab (/me/orders/12 is 我的), whatever the page itself sets.
_TAB_OF_SECTION = (
    ("/me", "me"),
    ("/signin", "me"),
    ("/cart", "cart"),
    ("/checkout", "cart"),
    ("/search", "search"),
)


def shop_tab(path: str, page_tab: str | None) -> str | None:
    """The tab to highlight on a storefront page: by its section, else as the page says."""
    if path == "/":
        return "home"
    for prefix, tab in _TAB_OF_SECTION:
        if path == prefix or path.startswith(prefix + "/"):
            return tab
    return page_tab


environment.globals["shop_tab"] = shop_tab


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Renders a page in the visitor's language, with the CSRF token forms need."""
    language = request_language(request)
    values = {
        "request": request,
        "language": language,
        "languages": LANGUAGES,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "current_user": getattr(request.state, "page_user", None),
        **(context or {}),
    }
    reset = _page_translations.set(translations(language))
    try:
        html = environment.get_template(template).render(values)
    finally:
        _page_translations.reset(reset)
    response = HTMLResponse(html, status_code=status_code)
    remember_browser(request, response)
    return response
