"""What every route needs: the simulator, the caller's app from its access token, a JSON body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse

from weshop.wxsim.apps import WxApp
from weshop.wxsim.errors import WxError

if TYPE_CHECKING:
    from weshop.wxsim.simulator import WxSim


def simulator_of(request: Request) -> WxSim:
    return request.app.state.wxsim


def caller(request: Request) -> WxApp:
    """The app whose ``access_token`` the request carries."""
    token = request.query_params.get("access_token", "")
    return simulator_of(request).credentials.app_of(token)


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object posted; WeChat's 44002 when empty, 47001 when not an object."""
    raw = await request.body()
    if not raw.strip():
        raise WxError(44002)
    try:
        body = json.loads(raw)
    except ValueError:
        raise WxError(47001) from None
    if not isinstance(body, dict):
        raise WxError(47001)
    return body


def base_path(request: Request) -> str:
    """Where the simulator is mounted (empty when served on its own)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


async def wx_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WxError)
    return JSONResponse(exc.body())
