"""The HTTP envelope of every ``/v3`` endpoint: verify the merchant's signature first, answer
errors in WeChat Pay's shape, and sign every answer with the platform key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from weshop.paysim.errors import ApiError, from_validation, param_error
from weshop.paysim.security import Caller, authenticate, signature_headers

if TYPE_CHECKING:
    from weshop.paysim.simulator import PaySim

Model = TypeVar("Model", bound=BaseModel)


def simulator_of(request: Request) -> PaySim:
    sim: PaySim = request.app.state.paysim
    return sim


def caller_of(request: Request) -> Caller:
    caller: Caller = request.state.caller
    return caller


def received_url(request: Request) -> str:
    """The path and query exactly as the merchant sent (and signed) them."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return (raw_path + (b"?" + query if query else b"")).decode("latin-1")


async def parse_body(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise from_validation(exc) from exc


def query_param(request: Request, name: str, *, required: bool = True) -> str:
    value = request.query_params.get(name, "")
    if required and not value:
        raise param_error(name, "必填参数缺失", location="query")
    return value


def answer(data: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code)


def no_content() -> Response:
    return Response(status_code=204)


class SignedRoute(APIRoute):
    """Checks ``Authorization`` before the endpoint and signs its answer (or its error)."""

    sign_answer = True

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        endpoint_handler = super().get_route_handler()
        sign_answer = self.sign_answer

        async def handler(request: Request) -> Response:
            sim = simulator_of(request)
            try:
                body = await self.signed_body(request)
                request.state.caller = authenticate(
                    sim.store,
                    sim.now(),
                    request.method,
                    received_url(request),
                    request.headers,
                    body,
                )
                response = await endpoint_handler(request)
            except ApiError as exc:
                response = JSONResponse(exc.body(), status_code=exc.status)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                location = str(first.get("loc", ("query",))[0])
                error = param_error(
                    "/".join(str(part) for part in first.get("loc", ())[1:]),
                    str(first.get("msg", "invalid")),
                    location=location,
                )
                response = JSONResponse(error.body(), status_code=error.status)
            response.headers["Request-ID"] = sim.ids.token()
            if sign_answer or response.status_code >= 400:
                for name, value in signature_headers(
                    sim.platform, sim.now(), response.body
                ).items():
                    response.headers[name] = value
            return response

        return handler

    async def signed_body(self, request: Request) -> bytes:
        """What the merchant's signature covers: the body, for every JSON endpoint."""
        return await request.body()


class UnsignedAnswerRoute(SignedRoute):
    """For file downloads: the request is verified, the answer (a file) is not signed."""

    sign_answer = False
