"""The OpenAPI document names every status an operation can answer, from one rule set.

Error statuses are not listed by hand on each route. After the routers are collected,
``install_error_responses`` walks every API route and derives its errors from what it is
made of:

* the errors its endpoint and its dependencies declare with ``@raises(...)`` (signing in
  declares 401, the staff check 403 and 404, ``Idempotency-Key`` 409 and 422, ...);
* its shape: parameters or a body can be invalid (422), a path id may name nothing (404),
  a body may be malformed (400) or too large (413), and any write may conflict with data
  written meanwhile (409: a unique constraint, see ``core.http_errors``).

Every error answer is documented with the one shape the app answers,
``{"error": {"code", "message", "details"?}}``, in place of FastAPI's default validation
schema, which the app never sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar, get_args

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from weshop.core.errors import Conflict, InvalidInput, NotFound, WeShopError

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_RAISES_ATTRIBUTE = "__weshop_raises__"
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_SCHEMA = "Error"
# FastAPI's own validation-error schemas: the app never answers them (see core.http_errors).
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable; see the response's description.")
    message: str = Field(description="For people; may change.")
    details: Any = Field(
        None,
        description="Optional structured context; for invalid input, a list of "
        "`{field, message, type}`.",
    )


class ErrorOut(BaseModel):
    """Every error WeShop answers has this shape."""

    model_config = ConfigDict(title=ERROR_SCHEMA)

    error: ErrorBody


def raises(*errors: type[WeShopError]) -> Callable[[Endpoint], Endpoint]:
    """Declare the errors an endpoint or a dependency can raise, for the OpenAPI document.

    Only what the route's shape does not already imply needs declaring (see the module).
    """

    def declare(function: Endpoint) -> Endpoint:
        declared = getattr(function, _RAISES_ATTRIBUTE, ())
        setattr(function, _RAISES_ATTRIBUTE, (*declared, *errors))
        return function

    return declare


# Errors no class stands for: answered by core.http_errors and the body size limit.
_MALFORMED_BODY = {400: {"malformed_json", "malformed_body"}}
_BODY_TOO_LARGE = {413: {"payload_too_large"}}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _model_field_names(annotation: Any) -> Iterator[str]:
    """The field names of a body model, nested models and lists of them included."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield name
            yield from _model_field_names(field.annotation)
    for argument in get_args(annotation):
        yield from _model_field_names(argument)


def _names_an_object(dependants: list[Dependant]) -> bool:
    """Whether a request can name an object by id (that may not exist): in its path, a
    ``*_id`` query parameter or a ``*_id``/``*_ids`` field of its body."""
    for dependant in dependants:
        if dependant.path_params:
            return True
        names = [param.name for param in dependant.query_params]
        for body in dependant.body_params:
            names.append(body.name)
            names.extend(_model_field_names(body.field_info.annotation))
        if any(name.endswith(("_id", "_ids")) for name in names):
            return True
    return False


def route_errors(route: Any) -> dict[int, set[str]]:
    """The error statuses ``route`` can answer, each with its error codes."""
    found: dict[int, set[str]] = {}

    def add_error(error: type[WeShopError]) -> None:
        found.setdefault(error.status_code, set()).add(error.code)

    dependants = list(_dependants(route.dependant))
    for dependant in dependants:
        for error in getattr(dependant.call, _RAISES_ATTRIBUTE, ()):
            add_error(error)
    has_body = any(d.body_params for d in dependants)
    has_parameters = has_body or any(
        d.path_params or d.query_params or d.header_params or d.cookie_params for d in dependants
    )
    if has_parameters:
        add_error(InvalidInput)
    if _names_an_object(dependants):
        add_error(NotFound)
    if has_body:
        for status, codes in (*_MALFORMED_BODY.items(), *_BODY_TOO_LARGE.items()):
            found.setdefault(status, set()).update(codes)
    if route.methods & _WRITE_METHODS:
        add_error(Conflict)
    return found


def _describe(status: int, codes: set[str]) -> str:
    listed = ", ".join(f"`{code}`" for code in sorted(codes))
    return f"{HTTPStatus(status).phrase}: {listed}."


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}


def _add_error_schemas(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = schema
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of ``app``, routers included (an ``APIRoute`` or FastAPI's view of one)."""
    # FastAPI 0.13x+ keeps included routers unflattened; older ones list their routes.
    contexts = getattr(routing, "iter_route_contexts", iter)(app.routes)
    for context in contexts:
        if isinstance(getattr(context, "original_route", context), APIRoute):
            yield context


def document_errors(spec: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add every route's error answers to ``spec`` (the OpenAPI document FastAPI generated)."""
    _add_error_schemas(spec)
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        operations = spec["paths"].get(route.path_format, {})
        for method in route.methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status, codes in sorted(route_errors(route).items()):
                description = _describe(status, codes)
                declared = responses.get(str(status), {}).get("description")
                if declared:
                    description = f"{declared} {description}"
                responses[str(status)] = {"description": description, "content": _error_content()}
            # FastAPI documents its validation schema on every route with parameters;
            # whatever 4xx/5xx a route declared by hand gets the real error shape too.
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = _error_content()
    return spec


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def exact_integer_bounds(node: Any) -> Any:
    """FastAPI's document models hold bounds as floats: a row id's maximum 2**63 - 1 comes
    out as 9.223372036854776e18, which is 2**63 and lets a client read an id one past the
    range as valid, and an integer's bound written ``9999.0`` invites ``9999.0`` as a value,
    which WeShop refuses (integers are strict). Bounds of integers are written as integers."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in _BOUNDS:
                value = node.get(bound)
                if isinstance(value, float) and value.is_integer():
                    node[bound] = _exact(value)
        for child in node.values():
            exact_integer_bounds(child)
    elif isinstance(node, list):
        for child in node:
            exact_integer_bounds(child)
    return node


def _exact(value: float) -> int:
    # The largest id is 2**63 - 1; a float cannot hold it and reads as 2**63.
    return min(int(value), 2**63 - 1)


def install_error_responses(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document carry every route's error answers, and its integers'
    bounds as integers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = exact_integer_bounds(document_errors(generate(), app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
