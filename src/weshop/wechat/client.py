"""The one client of WeChat's server APIs (api.weixin.qq.com, or wxsim offline).

One per runtime, holding one HTTP connection pool. Every call has a timeout; network errors
and 5xx answers are retried a bounded number of times. An answer with ``errcode`` other
than 0 raises :class:`WechatApiError`; when the error says the access token is not good
(40001/42001/40014), that very token is invalidated, another fetched, and the call tried
once more. Access tokens and jsapi tickets come from :mod:`weshop.wechat.tokens` (one fetch
per expiry across processes). Nothing secret is logged: not the secret, not a token, not an
openid or a session key (only the path and WeChat's error code are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import structlog
from redis.asyncio import Redis

from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.core.runtime import Runtime
from weshop.wechat.apps import WechatApp, wechat_apps
from weshop.wechat.errors import SYSTEM_BUSY, TOKEN_ERRORS, WechatApiError, WechatNotConfigured
from weshop.wechat.tokens import CLAIM_SECONDS_PER_TIMEOUT, Credentials, credential_store

log = structlog.get_logger(__name__)

COMPONENT = "wechat_client"
USER_AGENT = "WeShop-WeChat/1 (+python-httpx)"
ACCESS_TOKEN = "access_token"
JSAPI_TICKET = "jsapi_ticket"


class WechatClient:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        redis: Redis | None = None,
        *,
        max_attempts: int = 3,
        retry_delay_seconds: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = settings.wechat_api_base_url.rstrip("/")
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self._timeout = settings.wechat_timeout_seconds
        self._transport = transport
        self._http = self._connections()
        claim = settings.wechat_timeout_seconds * max_attempts * CLAIM_SECONDS_PER_TIMEOUT
        self.credentials = Credentials(credential_store(db, redis), claim_seconds=claim)

    def __repr__(self) -> str:
        return f"WechatClient(base_url={self.base_url!r})"

    def _connections(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(self._timeout),
            headers={"User-Agent": USER_AGENT},
            transport=self._transport,
        )

    async def aclose(self) -> None:
        """Close the connections (the app shuts down); a later call opens new ones, as the
        same runtime may serve again (an ASGI lifespan run twice in one process)."""
        await self._http.aclose()
        await self.credentials.store.aclose()

    async def access_token(self, app: WechatApp) -> str:
        return await self.credentials.get(app.appid, ACCESS_TOKEN, lambda: self._fetch_token(app))

    async def jsapi_ticket(self, app: WechatApp) -> str:
        return await self.credentials.get(app.appid, JSAPI_TICKET, lambda: self._fetch_ticket(app))

    async def get_json(
        self, app: WechatApp, path: str, params: dict[str, str], *, token: bool = True
    ) -> dict[str, Any]:
        return await self._call(app, "GET", path, params=params, body=None, token=token)

    async def post_json(
        self, app: WechatApp, path: str, body: dict[str, Any], *, token: bool = True
    ) -> dict[str, Any]:
        return await self._call(app, "POST", path, params={}, body=body, token=token)

    async def post_for_image(self, app: WechatApp, path: str, body: dict[str, Any]) -> bytes:
        """For the APIs that answer an image (mini-program codes), or a JSON error."""
        answer = await self._with_token(app, lambda tok: self._send("POST", path, {}, body, tok))
        return answer.content

    async def _fetch_token(self, app: WechatApp) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": app.appid, "secret": app.secret}
        answer = _json(
            await self._send("GET", "/cgi-bin/token", params, None, None), path="/cgi-bin/token"
        )
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))

    async def _fetch_ticket(self, app: WechatApp) -> tuple[str, int]:
        answer = await self.get_json(app, "/cgi-bin/ticket/getticket", {"type": "jsapi"})
        return str(answer["ticket"]), int(answer.get("expires_in", 7200))

    async def _call(
        self,
        app: WechatApp,
        method: str,
        path: str,
        *,
        params: dict[str, str],
        body: dict[str, Any] | None,
        token: bool,
    ) -> dict[str, Any]:
        if not token:
            return _json(await self._send(method, path, params, body, None), path=path)
        response = await self._with_token(
            app, lambda tok: self._send(method, path, params, body, tok)
        )
        return _json(response, path=path)

    async def _with_token(
        self, app: WechatApp, send: Callable[[str], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """Send with the app's token; on a token error, invalidate it and send once more."""
        for attempt in (1, 2):
            token = await self.access_token(app)
            response = await send(token)
            errcode = _errcode(response)
            if errcode in TOKEN_ERRORS and attempt == 1:
                log.warning("wechat.token_refused", appid=app.appid, errcode=errcode)
                await self.credentials.invalidate(app.appid, ACCESS_TOKEN, token)
                continue
            if errcode:
                _raise(response, errcode)
            return response
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: dict[str, Any] | None,
        token: str | None,
    ) -> httpx.Response:
        query = dict(params)
        if token is not None:
            query[ACCESS_TOKEN] = token
        problem = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                if self._http.is_closed:
                    self._http = self._connections()
                response = await self._http.request(
                    method, path, params=query, json=body if body is not None else None
                )
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 500:
                    log.debug("wechat.call", path=path, status=response.status_code)
                    return response
                problem = f"HTTP {response.status_code}"
            log.warning("wechat.call_failed", path=path, attempt=attempt, problem=problem)
            if attempt < self._max_attempts:
                await asyncio.sleep(self._retry_delay * attempt)
        raise WechatApiError(SYSTEM_BUSY, f"{path} unreachable: {problem}")


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "") or response.content[:1] == b"{"


def _errcode(response: httpx.Response) -> int:
    """WeChat's error code of an answer (0 for an image or a success)."""
    if not _is_json(response):
        return 0 if response.is_success else SYSTEM_BUSY
    try:
        data = response.json()
    except ValueError:
        return SYSTEM_BUSY
    if not isinstance(data, dict):
        return SYSTEM_BUSY
    try:
        return int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        return SYSTEM_BUSY


def _raise(response: httpx.Response, errcode: int) -> None:
    try:
        errmsg = str(response.json().get("errmsg", ""))
    except (ValueError, AttributeError):
        errmsg = f"HTTP {response.status_code}"
    log.warning(
        "wechat.rejected", path=response.request.url.path, errcode=errcode, errmsg=errmsg[:120]
    )
    raise WechatApiError(errcode, errmsg)


def _json(response: httpx.Response, *, path: str) -> dict[str, Any]:
    errcode = _errcode(response)
    if errcode:
        _raise(response, errcode)
    try:
        data = response.json()
    except ValueError:
        raise WechatApiError(SYSTEM_BUSY, f"{path}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise WechatApiError(SYSTEM_BUSY, f"{path}: the answer is not an object")
    return data


def build_wechat_client(
    settings: Settings, db: Database, redis: Redis | None
) -> WechatClient | None:
    """The client, when the installation has a WeChat app at all."""
    if not wechat_apps(settings):
        return None
    return WechatClient(settings, db, redis)


def wechat_client(runtime: Runtime) -> WechatClient:
    client = runtime.components.get(COMPONENT)
    if client is None:
        raise WechatNotConfigured("this installation has no WeChat app")
    return client
