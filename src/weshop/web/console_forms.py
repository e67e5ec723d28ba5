"""What the merchant console's forms and pages of orders, promotions, members, shipping and
finance share: rows of fields (``tiers.0.threshold_fen``) read into the nested bodies the
API schemas take, yuan typed by people turned into fen, and China time.

Forms name their fields by the schema's own path (``rules.1.first_fee_fen``), so pydantic's
error locations are the field names and each error lands next to its field. Blank rows are
left out, and the errors of the rows after them are put back on the rows people typed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from weshop.core.clock import CHINA_TZ, OUT_OF_RANGE
from weshop.core.errors import WeShopError
from weshop.web.errors import error_message
from weshop.web.forms import FormResult, Schema
from weshop.web.i18n import gettext
from weshop.web.templating import shop_time

_YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def fen_of_yuan(text: str) -> int | str:
    """``"12.3"`` -> ``1230``. Anything else is given back as typed, so that the schema
    refuses it as not a number, on its own field."""
    cleaned = text.strip().replace(",", "").removeprefix("¥")
    if not _YUAN.match(cleaned):
        return text
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return text


def yuan_text(fen: int | None) -> str:
    """Fen as a form shows them: ``1230`` -> ``"12.30"``."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input holds it (China time)."""
    return shop_time(moment, _LOCAL_MINUTE)


def aware_of_local(text: str) -> datetime | str:
    """A ``datetime-local`` value, in China time; anything else as typed (refused later)."""
    try:
        return datetime.strptime(text.strip()[:16], _LOCAL_MINUTE).replace(tzinfo=CHINA_TZ)
    except ValueError:
        return text


class NestedForm:
    """Flat posted values read into a nested body; ``field_of`` maps an error location of
    the body back to the name of the field that was posted."""

    def __init__(
        self,
        values: dict[str, Any],
        *,
        lists: frozenset[str] = frozenset(),
        moments: frozenset[str] = frozenset(),
    ) -> None:
        self.values = values
        self._renamed: dict[str, str] = {}
        tree: dict[str, Any] = {}
        for name, value in values.items():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in lists:
                value = value if isinstance(value, list) else [value]
                value = [item for item in value if item != ""]
            elif isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
                if leaf.endswith("_fen"):
                    value = fen_of_yuan(value)
                elif leaf in moments:
                    value = aware_of_local(value)
            node = tree
            parts = name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        self.data = self._compact(tree, "")

    def _compact(self, node: Any, path: str) -> Any:
        if not isinstance(node, dict):
            return node
        if node and all(key.isdigit() for key in node):
            items = []
            for key in sorted(node, key=int):
                item = self._compact(node[key], f"{path}{key}.")
                if item in ({}, [], None):
                    continue
                self._renamed[f"{path}{len(items)}"] = f"{path}{key}"
                items.append(item)
            return items
        return {key: self._compact(value, f"{path}{key}.") for key, value in node.items()}

    def field_of(self, location: str) -> str:
        """``tiers.0.threshold_fen`` of the body -> the posted ``tiers.2.threshold_fen``."""
        parts = location.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in self._renamed:
                rest = parts[end:]
                return ".".join([self._renamed[prefix], *rest])
        return location

    def fields_of(self, errors: dict[str, str]) -> dict[str, str]:
        return {self.field_of(location): message for location, message in errors.items()}


def N_(message: str) -> str:
    return message


# Pydantic's error types, in words a merchant reads next to the field.
_FIELD_ERRORS = {
    "missing": N_("Fill this in."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "greater_than_equal": N_("This number is too small."),
    "greater_than": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "less_than": N_("This number is too large."),
    "string_too_short": N_("Fill this in."),
    "string_too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("Use letters, digits and dashes only."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "datetime_parsing": N_("Enter a date and time."),
    OUT_OF_RANGE: N_("Enter a date between 2000 and 2100."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "too_short": N_("Add at least one."),
    "too_long": N_("There are too many."),
}
NOT_VALID = N_("This value is not valid.")


def parse_nested(request: Request, form: NestedForm, schema: type[Schema]) -> FormResult[Schema]:
    """Validates the nested body with an API schema (leniently: the form posted text); each
    error in the visitor's language, on the field that was posted."""
    try:
        data = schema.model_validate(form.data, strict=False)
        return FormResult(values=form.values, data=data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            location = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
            message = _FIELD_ERRORS.get(error.get("type", ""), NOT_VALID)
            errors.setdefault(form.field_of(location), gettext(request, message))
        return FormResult(values=form.values, errors=errors)


def add_refusal(
    request: Request,
    result: FormResult[Any],
    exc: WeShopError,
    known: Mapping[str, tuple[str, str]],
) -> None:
    """A service's refusal on the form: on the field its code concerns (``known``: code ->
    field and message), else above the form in the site's words for that code."""
    field, message = known.get(exc.code, ("__all__", ""))
    shown = gettext(request, message) if message else error_message(request, exc.code, exc.message)
    result.add_error(field, shown)


def flat_values(body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A body (as the API answers it) as a form's flat values, fen shown in yuan."""
    flat: dict[str, Any] = {}
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_values(value, f"{name}."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                flat.update(flat_values(item, f"{name}.{index}."))
        elif key.endswith("_fen") and isinstance(value, int):
            flat[name] = yuan_text(value)
        elif isinstance(value, datetime):
            flat[name] = local_input(value)
        else:
            flat[name] = value
    return flat
