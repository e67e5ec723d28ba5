"""Who may pay a JSAPI order: the payer's openid must be a user's of the order's app.

WeChat Pay knows which openids belong to which app; the simulator learns it from a payer
directory when it is given one: a callable ``(appid, openid) -> bool`` (or its awaitable),
such as ``WxSim.knows`` in the same process, or :class:`WxsimPayers`, which asks a running
wxsim over HTTP (``weshop paysim --wxsim-url``). Without a directory any openid is accepted.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import httpx

from weshop.paysim.errors import ApiError

PayerDirectory = Callable[[str, str], bool | Awaitable[bool]]


async def is_payer_of(directory: PayerDirectory, appid: str, openid: str) -> bool:
    known = directory(appid, openid)
    if inspect.isawaitable(known):
        known = await known
    return known is True


class WxsimPayers:
    """The directory of a running wxsim: ``GET <url>/wxsim/openid?appid=&openid=`` answers
    ``{"known": true|false}``. When wxsim cannot answer, the order fails as WeChat Pay's
    own outages do (500 SYSTEM_ERROR), and the merchant retries."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_seconds)
        self._transport = transport

    async def __call__(self, appid: str, openid: str) -> bool:
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, transport=self._transport, timeout=self._timeout
            ) as http:
                answer = await http.get("/wxsim/openid", params={"appid": appid, "openid": openid})
                answer.raise_for_status()
                known = answer.json().get("known")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise ApiError(500, "SYSTEM_ERROR", "系统错误，请稍后重试") from exc
        return known is True

    def __repr__(self) -> str:
        return f"WxsimPayers({self.base_url!r})"
