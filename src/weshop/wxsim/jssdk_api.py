"""The JS-SDK script and what it asks wxsim: config checks, share cards, open-tag consent.

Pages that load the script live on WeShop's origin, so these answer cross-origin requests
with the browser's cookie (the WeChat user chosen on the authorise page).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request, Response

from weshop.wxsim.authorize import current_user
from weshop.wxsim.jssdk import PageConfig
from weshop.wxsim.routing import json_body, simulator_of
from weshop.wxsim.simulator import JSSDK_SCRIPT_PATH

router = APIRouter(tags=["wechat js-sdk"])


@cache
def _script_source() -> str:
    return files("weshop.wxsim").joinpath("static/jweixin-1.6.0.js").read_text(encoding="utf-8")


@router.get(JSSDK_SCRIPT_PATH)
async def script(request: Request) -> Response:
    source = _script_source().replace(
        "__WXSIM_PAYSIM_URL__", json.dumps(simulator_of(request).paysim_url)
    )
    return Response(source, media_type="application/javascript; charset=utf-8")


@router.post("/wxsim/jssdk/config")
async def config(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    error = simulator_of(request).jssdk.config_error(PageConfig.of(body))
    return {"errMsg": error or "config:ok"}


@router.post("/wxsim/jssdk/share")
async def share(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    card = body.get("card")
    errmsg = simulator_of(request).jssdk.share(
        PageConfig.of(body),
        str(body.get("api", "")),
        card if isinstance(card, dict) else {},
        current_user(request),
    )
    return {"errMsg": errmsg}


@router.post("/wxsim/jssdk/subscribe")
async def subscribe(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    templates = body.get("templates")
    ids = [str(item) for item in templates] if isinstance(templates, list) else []
    return simulator_of(request).jssdk.subscribe(PageConfig.of(body), ids, current_user(request))
