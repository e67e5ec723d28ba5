"""Translations: gettext catalogues (Babel ``.po`` files) and the visitor's language.

Message ids are English; ``locales/zh_CN`` holds the Simplified Chinese catalogues, which is
the default language. Every ``*.po`` file of a locale is merged into one catalogue, so each
part of the site keeps its own file. The ``.po`` files are read at start-up: no compile step.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = {"zh-CN": "简体中文", "en": "English"}
LANGUAGE_COOKIE = "weshop_lang"
_CATALOGUE_DIRS = {"zh-CN": "zh_CN"}


@cache
def translations(language: str) -> NullTranslations:
    """The merged catalogue of a language; English is the message ids themselves."""
    folder = _CATALOGUE_DIRS.get(language)
    if folder is None:
        return NullTranslations()
    merged: Translations | None = None
    for po_path in sorted((LOCALES_DIR / folder / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=folder)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(fp=buffer)
        merged = part if merged is None else merged.merge(part)
    return merged or NullTranslations()


def language_of(cookies: dict[str, str]) -> str:
    """The cookie's language if it is one we speak, else Simplified Chinese."""
    chosen = cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def request_language(request: Request) -> str:
    return language_of(request.cookies)


def gettext(request: Request, message: str) -> str:
    """Translate a message outside a template (flash messages, form errors)."""
    return translations(request_language(request)).gettext(message)
