"""FastAPI plumbing shared by every domain's ``api.py``: the runtime, the request's session,
and the direct routes of the few paths that take a peak."""

from __future__ import annotations

import email.message
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.routing import Match

from weshop.core.errors import IdempotencyKeyReused, InvalidInput
from weshop.core.openapi import api_routes, raises
from weshop.core.runtime import Runtime

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Marks an endpoint that only reads although its method is not GET (a price quote is a
    POST): its request gets a read transaction, which on SQLite never queues for the write
    lock behind checkouts."""
    endpoint.reads_only = True  # type: ignore[attr-defined]
    return endpoint


def _writes(request: Request) -> bool:
    if request.method in _READ_METHODS:
        return False
    return not getattr(request.scope.get("endpoint"), "reads_only", False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the endpoint returns, before the answer."""
    runtime = get_runtime(request)
    write = _writes(request)
    async with runtime.db.session(write=write) as session, session.begin():
        yield session


def client_address(request: Request) -> str:
    """The client's address, behind trusted proxies as decided by core.clients."""
    return request.client.host if request.client else "unknown"


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


@raises(IdempotencyKeyReused, InvalidInput)
def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Repeat a request with the same key to get the first answer, never a "
            "second effect. The same key with a different body is refused (409).",
        ),
    ] = None,
) -> str | None:
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def _takes_many(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation) if arg is not type(None))
    return origin in (list, tuple, set, frozenset)


def _scalar_query_names(dependant: Any) -> set[str]:
    """The query parameters of a route's ``dependant`` (its dependencies' too) that take one
    value."""
    names = {
        field.alias
        for field in dependant.query_params
        if not _takes_many(field.field_info.annotation)
    }
    for dependency in dependant.dependencies:
        names |= _scalar_query_names(dependency)
    return names


async def refuse_repeated_query_parameters(request: Request) -> None:
    """App-wide dependency: a parameter that takes one value, given twice (``?q=a&q=b``), is
    refused as invalid input rather than one of its values picked silently."""
    route = request.scope.get("route")
    if route is None or not request.url.query:
        return
    names = _scalar_query_names(route.dependant)
    repeated = sorted(name for name in names if len(request.query_params.getlist(name)) > 1)
    if repeated:
        raise RequestValidationError(
            [
                {
                    "type": "repeated_parameter",
                    "loc": ("query", name),
                    "msg": "this parameter takes one value and was given more than once",
                }
                for name in repeated
            ]
        )


DirectHandler = Callable[[Request], Awaitable[Response]]
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


class DirectRoute(APIRoute):
    """A route for the few paths that take a peak of thousands of requests a second: its
    requests skip FastAPI's routing and dependency solving (a few hundred microseconds a
    request, most of the budget of such a path). :class:`DirectRoutes`, a layer just inside
    the app's own middleware, hands them to the endpoint's ``direct_handler``
    (:func:`served_directly`), which reads the request itself. The endpoint's declared
    signature still describes the route in the OpenAPI document, and the conformance tests
    hold the handler to that description. A router made with ``route_class=DirectRoute``
    serves its other endpoints the usual way."""

    def get_route_handler(self) -> DirectHandler:
        return self.direct_handler or super().get_route_handler()

    @property
    def direct_handler(self) -> DirectHandler | None:
        return getattr(self.endpoint, "direct_handler", None)


class DirectRoutes:
    """The middleware layer that serves the :class:`DirectRoute` s of ``api`` (the app; they
    are gathered at the first request, when every router is on it), innermost of the app's
    middleware: the security headers, body limit and client checks apply as to any route.
    Errors are answered by the app's JSON error handlers, as the inner layers would; anything
    else goes on to the app's outermost handler (a 500)."""

    def __init__(
        self,
        app: Any,
        *,
        api: Any,
        error_handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]],
    ) -> None:
        self.app = app
        self.api = api
        self.error_handlers = {
            kind: handler for kind, handler in error_handlers.items() if kind is not Exception
        }
        self.direct: list[tuple[Any, DirectHandler]] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if self.direct is None:
                self.direct = _direct_routes(self.api)
            for route, handler in self.direct:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    await self._serve(handler, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, handler: DirectHandler, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as exc:
            answer = next(
                (
                    self.error_handlers[kind]
                    for kind in type(exc).__mro__
                    if kind in self.error_handlers
                ),
                None,
            )
            if answer is None:
                raise
            response = await answer(request, exc)
        await response(scope, receive, send)


def _direct_routes(api: Any) -> list[tuple[Any, DirectHandler]]:
    """(route as the app matches it, with its router's prefix; handler) of each direct route."""
    found = []
    for route in api_routes(api):
        handler = getattr(getattr(route, "original_route", route), "direct_handler", None)
        if handler is not None:
            found.append((route, handler))
    return found


def served_directly(handler: DirectHandler) -> Callable[[Endpoint], Endpoint]:
    """Declares the endpoint below (its signature, for the documentation) as served by
    ``handler`` on a :class:`DirectRoute`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.direct_handler = handler  # type: ignore[attr-defined]
        return endpoint

    return mark


async def request_json(request: Request) -> Any:
    """The body as FastAPI reads it for a JSON body parameter: parsed when its content type
    is JSON (malformed: the same ``json_invalid`` error, or for bytes that are not UTF-8 the
    same 400), otherwise the bytes, which no model accepts."""
    body = await request.body()
    if not body:
        return None
    content_type = request.headers.get("content-type")
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        if message.get_content_maintype() == "application" and (
            subtype == "json" or subtype.endswith("+json")
        ):
            try:
                return json.loads(body)
            except UnicodeDecodeError as exc:
                raise HTTPException(400, "There was an error parsing the body") from exc
            except json.JSONDecodeError as exc:
                raise RequestValidationError(
                    [
                        {
                            "type": "json_invalid",
                            "loc": ("body", exc.pos),
                            "msg": "JSON decode error",
                            "input": {},
                            "ctx": {"error": exc.msg},
                        }
                    ]
                ) from exc
    return body


class RequestParts:
    """Validates a direct route's parameters the way FastAPI would, collecting every error
    into one 422 (``field`` ``path.x``, ``header.X``, ``body.y``)."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def value(self, where: str, name: str, adapter: TypeAdapter[T], raw: Any) -> T | None:
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            self._add(exc, (where, name))
            return None

    def body(self, model: type[Model], raw: Any) -> Model | None:
        if raw is None:
            self.errors.append({"type": "missing", "loc": ("body",), "msg": "Field required"})
            return None
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self._add(exc, ("body",))
            return None

    def check(self) -> None:
        if self.errors:
            raise RequestValidationError(self.errors)

    def _add(self, exc: ValidationError, prefix: tuple[str, ...]) -> None:
        for error in exc.errors(include_url=False, include_input=False):
            self.errors.append({**error, "loc": (*prefix, *error["loc"])})
