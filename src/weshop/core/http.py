"""FastAPI plumbing shared by every domain's ``api.py``: the runtime, the request's session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.errors import IdempotencyKeyReused, InvalidInput
from weshop.core.openapi import raises
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
