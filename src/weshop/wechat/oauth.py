"""The official account's web authorisation (网页授权): the authorise URL and its ``state``,
and the callback's exchange of the code for the user.

WeChat allows a ``state`` of at most 128 characters of ``[A-Za-z0-9]``, so the state carries
no data of its own: the app and the return path travel in the callback URL
(``redirect_uri``, kept by WeChat as given), and the state signs them. It is a random nonce,
an expiry and an HMAC (key derived from the secret) over the appid, the return path, the
scope, the expiry and the nonce. The callback refuses a state that does not verify with the
appid and path it is called with (forged, or another app's), one past its expiry, and one used
before (its nonce recorded in ``wechat_used_once``, unique); a code is used once the same way.
Nothing is created or linked before all of that holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.crypto import derive_key
from weshop.core.errors import Unauthenticated
from weshop.core.security import token_digest
from weshop.wechat import service
from weshop.wechat.apps import WechatApp
from weshop.wechat.client import WechatClient
from weshop.wechat.errors import CODE_ERRORS, WechatApiError
from weshop.wechat.models import WechatUsedOnce

Scope = Literal["snsapi_base", "snsapi_userinfo"]
SCOPES: tuple[Scope, ...] = ("snsapi_base", "snsapi_userinfo")
CALLBACK_PATH = "/wechat/oauth/callback"
STATE_SECONDS = 600
_NONCE_CHARS = 16
_EXPIRY_DIGITS = 10
_MAC_CHARS = 32
_ALPHABET = string.ascii_letters + string.digits


class OAuthRefused(Unauthenticated):
    """The callback is not one WeShop asked for (or it was answered already)."""

    code = "wechat_oauth_refused"


@dataclass(frozen=True)
class Callback:
    """What WeChat's redirect brings back to the callback."""

    appid: str
    next_path: str
    scope: Scope
    state: str
    code: str | None


def _mac(secret: bytes, appid: str, next_path: str, scope: str, expiry: str, nonce: str) -> str:
    key = derive_key(secret, "weshop/wechat/oauth-state")
    message = "\n".join((appid, next_path, scope, expiry, nonce)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_MAC_CHARS]


def new_state(secret: bytes, appid: str, next_path: str, scope: Scope, now: datetime) -> str:
    nonce = "".join(secrets.choice(_ALPHABET) for _ in range(_NONCE_CHARS))
    expiry = f"{int((now + timedelta(seconds=STATE_SECONDS)).timestamp()):0{_EXPIRY_DIGITS}d}"
    return nonce + expiry + _mac(secret, appid, next_path, scope, expiry, nonce)


def check_state(secret: bytes, callback: Callback, now: datetime) -> None:
    """Raise unless ``state`` was made by WeShop for this app, path and scope, and is alive."""
    state = callback.state
    if len(state) != _NONCE_CHARS + _EXPIRY_DIGITS + _MAC_CHARS or not state.isalnum():
        raise OAuthRefused("the sign-in state is malformed")
    nonce = state[:_NONCE_CHARS]
    expiry = state[_NONCE_CHARS : _NONCE_CHARS + _EXPIRY_DIGITS]
    mac = state[_NONCE_CHARS + _EXPIRY_DIGITS :]
    expected = _mac(secret, callback.appid, callback.next_path, callback.scope, expiry, nonce)
    if not hmac.compare_digest(mac, expected):
        raise OAuthRefused("the sign-in state is not WeShop's for this app and page")
    if not expiry.isdigit() or int(expiry) < now.timestamp():
        raise OAuthRefused("the sign-in state has expired: open the page again")


def authorize_url(
    settings: Settings, app: WechatApp, next_path: str, scope: Scope, now: datetime
) -> str:
    callback = settings.public_base_url.rstrip("/") + CALLBACK_PATH
    redirect_uri = (
        f"{callback}?{urlencode({'appid': app.appid, 'next': next_path, 'scope': scope})}"
    )
    state = new_state(settings.resolved_secret(), app.appid, next_path, scope, now)
    query = urlencode(
        {
            "appid": app.appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": state,
        }
    )
    base = settings.wechat_open_base_url.rstrip("/")
    return f"{base}/connect/oauth2/authorize?{query}#wechat_redirect"


async def _use_once(session: AsyncSession, what: str, expires_at: datetime) -> None:
    # What expired is refused by its expiry anyway: no need to remember it any longer.
    await session.execute(delete(WechatUsedOnce).where(WechatUsedOnce.expires_at < utcnow()))
    try:
        async with session.begin_nested():
            session.add(WechatUsedOnce(digest=token_digest(what), expires_at=expires_at))
            await session.flush()
    except IntegrityError:
        raise OAuthRefused("this sign-in was answered already: open the page again") from None


async def sign_in(
    session: AsyncSession, client: WechatClient, app: WechatApp, callback: Callback
) -> User:
    """The account of the WeChat user who authorised (state checked by the caller). WeChat
    is asked first, the database after: no lock waits on the network."""
    assert callback.code is not None
    params = {
        "appid": app.appid,
        "secret": app.secret,
        "code": callback.code,
        "grant_type": "authorization_code",
    }
    try:
        granted = await client.get_json(app, "/sns/oauth2/access_token", params, token=False)
        profile = service.WechatProfile(
            openid=str(granted["openid"]),
            unionid=str(granted["unionid"]) if granted.get("unionid") else None,
        )
        if callback.scope == "snsapi_userinfo":
            info = await client.get_json(
                app,
                "/sns/userinfo",
                {"access_token": str(granted["access_token"]), "openid": profile.openid},
                token=False,
            )
            profile = service.WechatProfile(
                openid=profile.openid,
                unionid=str(info["unionid"]) if info.get("unionid") else profile.unionid,
                nickname=str(info.get("nickname") or "")[:64] or None,
                avatar_url=str(info.get("headimgurl") or "") or None,
            )
    except WechatApiError as exc:
        if exc.errcode in CODE_ERRORS:
            raise OAuthRefused("WeChat refused the sign-in code: open the page again") from None
        raise
    expires_at = utcnow() + timedelta(seconds=STATE_SECONDS)
    await _use_once(session, f"state:{callback.state}", expires_at)
    await _use_once(session, f"code:{app.appid}:{callback.code}", expires_at)
    return await service.sign_in(session, app, profile)
