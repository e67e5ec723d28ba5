"""Chinese copy uses full-width punctuation: no ASCII , . : ; ! ? ( ) next to a Chinese
character in any zh_CN translation."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from weshop.web.i18n import LOCALES_DIR

CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"
# An ASCII mark touching a Chinese character on either side (a decimal point or a time like
# 10:30 sits between digits and is not matched).
HALF_WIDTH_NEXT_TO_CHINESE = re.compile(rf"{CJK}\s?[,.:;!?()]|[,.:;!?()]\s?{CJK}")
# Placeholders and markup are not prose: %(name)s, %d, {0}, <a href="...">.
NOT_PROSE = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}|<[^>]+>|https?://\S+")


def zh_translations() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((LOCALES_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale="zh_CN")
        for message in catalog:
            if not message.id or not message.string:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                found.append((path.name, str(message.id), text))
    return found


def test_chinese_translations_use_full_width_punctuation() -> None:
    wrong = [
        f"{name}: {msgid!r} -> {text!r}"
        for name, msgid, text in zh_translations()
        if HALF_WIDTH_NEXT_TO_CHINESE.search(NOT_PROSE.sub(" ", text))
    ]
    assert not wrong, "ASCII punctuation in Chinese text:\n" + "\n".join(wrong)
