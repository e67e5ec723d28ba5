"""Helpers for the storefront's page tests: a browser's requests over the test client.

Pages are asked for with ``Accept: text/html``; the client keeps cookies (the CSRF cookie and
the session), as a browser does.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support import Api, Headers, new_phone

HTML = {"Accept": "text/html,application/xhtml+xml"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_DEMO_CODE = re.compile(r'id="demo-code">(\d{6})<')


async def page(client: httpx.AsyncClient, path: str, answer_code: int = 200, **params: Any) -> str:
    """The page's HTML, asserting its status code; ``params`` are the query string."""
    answer = await client.get(path, params=params or None, headers=HTML)
    assert answer.status_code == answer_code, f"{path}: {answer.status_code}\n{answer.text[:2000]}"
    return answer.text


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token of this client's browser, read from a page with a form: my page (its sign-out
    button) when signed in, the sign-in page otherwise."""
    answer = await client.get("/me", headers=HTML)
    if answer.status_code != 200:
        answer = await client.get("/signin", headers=HTML)
    found = _TOKEN.search(answer.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def post(
    client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None, status: int = 303
) -> httpx.Response:
    """Posts a form with the CSRF token, as the page's own form would."""
    body = {"csrf_token": await csrf_token(client), **(data or {})}
    answer = await client.post(path, data=body, headers=HTML)
    assert answer.status_code == status, f"{path}: {answer.status_code}\n{answer.text[:2000]}"
    return answer


async def sign_in_page(client: httpx.AsyncClient, phone: str | None = None) -> str:
    """Signs in through the sign-in page (the demo code is shown on it); returns the phone."""
    phone = phone or new_phone()
    sent = await post(client, "/signin", {"phone": phone, "step": "send"}, status=200)
    code = _DEMO_CODE.search(sent.text)
    assert code, sent.text[:2000]
    await post(client, "/signin", {"phone": phone, "code": code.group(1), "step": "verify"})
    return phone


async def shopper(api: Api, client: httpx.AsyncClient) -> tuple[str, Headers]:
    """A shopper signed in on the pages and on the API (the same person)."""
    phone = await sign_in_page(client)
    return phone, await api.sign_in(phone)
