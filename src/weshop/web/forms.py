"""Forms on the server: parse a posted form into a schema and keep errors by field.

A form that does not validate is shown again with what was typed and each error next to its
field; nothing is written. A form posts text: its values are validated leniently
(``strict=False``), so that the typed ``"12"`` is the number the API's strict schemas want.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from weshop.core.errors import WeShopError
from weshop.web.csrf import CSRF_FIELD

Schema = TypeVar("Schema", bound=BaseModel)


@dataclass
class FormResult(Generic[Schema]):
    """What was posted (``values``, to fill the form again), the parsed data or the errors."""

    values: dict[str, Any]
    data: Schema | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    def add_error(self, name: str, message: str) -> None:
        self.errors[name] = message


async def posted_values(request: Request) -> dict[str, Any]:
    """The posted form without the CSRF token; a field sent several times becomes a list."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        if key == CSRF_FIELD:
            continue
        items = form.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    return values


def validation_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors keyed by the form field they belong to (the first error per field)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error.get("loc", ())) or "__all__"
        errors.setdefault(name, error.get("msg", "invalid"))
    return errors


def parse_form(values: dict[str, Any], schema: type[Schema]) -> FormResult[Schema]:
    """Validates form values with an API schema; blank fields count as not given."""
    cleaned = {key: value for key, value in values.items() if value != ""}
    try:
        return FormResult(values=values, data=schema.model_validate(cleaned, strict=False))
    except ValidationError as exc:
        return FormResult(values=values, errors=validation_errors(exc))


def service_error(result: FormResult[Any], exc: WeShopError, field_name: str = "__all__") -> None:
    """Puts a service's refusal on the form, on the field it concerns when it names one."""
    details = exc.details if isinstance(exc.details, dict) else {}
    result.add_error(str(details.get("field", field_name)), exc.message)


@asynccontextmanager
async def undo_on_error(session: AsyncSession) -> AsyncIterator[None]:
    """Runs a page's service calls in a savepoint: when they raise, their writes are undone
    and the error goes on to the page, which shows the form again; the request still commits
    whatever came before (nothing, usually)."""
    async with session.begin_nested():
        yield
