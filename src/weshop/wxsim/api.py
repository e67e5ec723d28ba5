"""WeChat's server APIs at their paths (``api.weixin.qq.com``): tokens, web authorisation,
mini-program sign-in, phone numbers, JS-SDK tickets. Errors are WeChat's, with HTTP 200."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from weshop.wxsim.errors import WxError
from weshop.wxsim.routing import caller, json_body, simulator_of

router = APIRouter(tags=["wechat server APIs"])


@router.get("/cgi-bin/token")
async def access_token(
    request: Request, grant_type: str = "", appid: str = "", secret: str = ""
) -> dict[str, Any]:
    return simulator_of(request).credentials.token(grant_type, appid, secret)


@router.post("/cgi-bin/stable_token")
async def stable_token(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    force_refresh = body.get("force_refresh", False)
    if not isinstance(force_refresh, bool):
        raise WxError(40097, "force_refresh")
    return simulator_of(request).credentials.stable_token(
        str(body.get("grant_type", "")),
        str(body.get("appid", "")),
        str(body.get("secret", "")),
        force_refresh,
    )


@router.get("/sns/oauth2/access_token")
async def sns_access_token(
    request: Request, appid: str = "", secret: str = "", code: str = "", grant_type: str = ""
) -> dict[str, Any]:
    return simulator_of(request).web.access_token(appid, secret, code, grant_type)


@router.get("/sns/oauth2/refresh_token")
async def sns_refresh_token(
    request: Request, appid: str = "", refresh_token: str = "", grant_type: str = ""
) -> dict[str, Any]:
    return simulator_of(request).web.refresh(appid, refresh_token, grant_type)


@router.get("/sns/userinfo")
async def sns_userinfo(
    request: Request, access_token: str = "", openid: str = ""
) -> dict[str, Any]:
    return simulator_of(request).web.userinfo(access_token, openid)


@router.get("/sns/jscode2session")
async def jscode2session(
    request: Request, appid: str = "", secret: str = "", js_code: str = "", grant_type: str = ""
) -> dict[str, Any]:
    return simulator_of(request).miniprogram.code_to_session(appid, secret, js_code, grant_type)


@router.post("/wxa/business/getuserphonenumber")
async def user_phone_number(request: Request) -> dict[str, Any]:
    app = caller(request)
    body = await json_body(request)
    return simulator_of(request).miniprogram.phone_number(app, str(body.get("code", "")))


@router.get("/cgi-bin/ticket/getticket")
async def ticket(request: Request, ticket_type: str = Query("", alias="type")) -> dict[str, Any]:
    app = caller(request)
    if app.kind != "official":
        raise WxError(48001)
    return simulator_of(request).credentials.jsapi_ticket(app, ticket_type)


@router.post("/cgi-bin/message/subscribe/send")
async def subscribe_send(request: Request) -> dict[str, Any]:
    """A mini-program's subscription message (``subscribeMessage.send``)."""
    app = caller(request)
    body = await json_body(request)
    return simulator_of(request).messaging.subscribe_send(app, body, api="subscribe/send")


@router.post("/cgi-bin/message/subscribe/bizsend")
async def subscribe_bizsend(request: Request) -> dict[str, Any]:
    """An official account's subscription notice (订阅通知)."""
    app = caller(request)
    body = await json_body(request)
    return simulator_of(request).messaging.subscribe_send(app, body, api="subscribe/bizsend")


@router.post("/cgi-bin/message/template/send")
async def template_send(request: Request) -> dict[str, Any]:
    """An official account's template message, to a follower."""
    app = caller(request)
    body = await json_body(request)
    return simulator_of(request).messaging.template_send(app, body)


@router.post("/wxa/getwxacodeunlimit", response_model=None)
async def wxacode_unlimited(request: Request) -> Response:
    """A mini-program code for a page and scene: PNG, or WeChat's errcode JSON."""
    app = caller(request)
    body = await json_body(request)
    image = simulator_of(request).codes.unlimited(app, body)
    return Response(image, media_type="image/png")
