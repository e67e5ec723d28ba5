"""wxsim's own JSON hooks under ``/wxsim``: what a WeChat client would do for a test user
(``wx.login``, the phone-number button), what paysim asks (is this openid of this app), and
what tests watch or force (token calls, token expiry)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from weshop.wxsim.errors import WxError
from weshop.wxsim.routing import simulator_of

router = APIRouter(prefix="/wxsim", tags=["wxsim hooks"])


class AppUser(BaseModel):
    appid: str
    user: str


class AppOnly(BaseModel):
    appid: str


class Acceptance(BaseModel):
    """A user (by openid, or by test-user name) accepts templates of an app."""

    appid: str
    openid: str = ""
    user: str = ""
    template_ids: list[str]


def _refused(exc: Exception) -> HTTPException:
    if isinstance(exc, WxError):
        return HTTPException(400, exc.errmsg)
    return HTTPException(404, str(exc.args[0]) if exc.args else "not found")


@router.post("/miniprogram/login")
async def miniprogram_login(request: Request, body: AppUser) -> dict[str, str]:
    """What ``wx.login`` gives the user in the mini-program: ``{"code": ...}``."""
    try:
        return {"code": simulator_of(request).login_code(body.appid, body.user)}
    except (WxError, KeyError) as exc:
        raise _refused(exc) from None


@router.post("/miniprogram/phone-code")
async def miniprogram_phone_code(request: Request, body: AppUser) -> dict[str, str]:
    """What the ``getPhoneNumber`` button gives once the user allows: ``{"code": ...}``."""
    try:
        return {"code": simulator_of(request).phone_code(body.appid, body.user)}
    except (WxError, KeyError) as exc:
        raise _refused(exc) from None


@router.get("/openid")
async def openid_known(request: Request, appid: str = "", openid: str = "") -> dict[str, bool]:
    """Whether ``openid`` is a user's under ``appid`` (paysim's check of a JSAPI payer)."""
    return {"known": simulator_of(request).knows(appid, openid)}


@router.get("/users")
async def users(request: Request) -> list[dict[str, Any]]:
    """The test users with their openid per app and unionid per app (None when unbound)."""
    sim = simulator_of(request)
    return [
        {
            "user": user.key,
            "nickname": user.nickname,
            "phone": user.phone,
            "follows_official": user.follows_official,
            "avatar_url": sim.web.avatar_url(user.key),
            "openids": {appid: sim.openid_of(appid, user.key) for appid in sim.apps},
            "unionids": {appid: sim.unionid_of(appid, user.key) for appid in sim.apps},
        }
        for user in sim.users.values()
    ]


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    """Calls that got a token (``/cgi-bin/token`` and ``stable_token``) and tickets, per app."""
    return simulator_of(request).stats()


@router.post("/tokens/expire")
async def expire_tokens(request: Request, body: AppOnly) -> dict[str, int]:
    """Every access token of the app expires now: calls with one get 42001."""
    try:
        return {"expired": simulator_of(request).expire_tokens(body.appid)}
    except WxError as exc:
        raise _refused(exc) from None


@router.post("/subscriptions")
async def accept_subscription(request: Request, body: Acceptance) -> dict[str, str]:
    """What ``wx.requestSubscribeMessage`` does when the user accepts: each template may send
    the user one more message. Answers as its ``success`` does."""
    sim = simulator_of(request)
    openid = body.openid
    if not openid:
        if body.user not in sim.users or body.appid not in sim.apps:
            raise HTTPException(404, "no such test user or app")
        openid = sim.openid_of(body.appid, body.user)
    try:
        accepted = sim.accept_subscription(body.appid, openid, body.template_ids)
    except (WxError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    return {"errMsg": "requestSubscribeMessage:ok", **accepted}


@router.get("/inbox.json")
async def inbox(request: Request, user: str) -> list[dict[str, Any]]:
    """The messages the test user received, newest first."""
    try:
        return [message.as_json() for message in simulator_of(request).inbox(user)]
    except KeyError as exc:
        raise _refused(exc) from None


@router.get("/shares.json")
async def shares(request: Request) -> list[dict[str, Any]]:
    """The share cards pages set, newest first."""
    return [share.as_json() for share in reversed(simulator_of(request).shares)]
