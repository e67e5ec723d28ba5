"""The CSRF token is bound to the visitor's session, not to a cookie anyone could plant: a token
made for one session is refused in another, an attacker's own cookie and token planted in a
victim's browser are refused for the victim's session, and signing in or out replaces the
pre-session value the sign-in forms are bound to. (Every state-changing page route refusing a
post without a token is swept in test_foundation.py.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.storefront import sign_in_page
from tests.support import Api, Headers, new_phone
from weshop.accounts import service as accounts

HTML = {"Accept": "text/html,application/xhtml+xml"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def bare(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps no cookies: each request says exactly which cookies it sends."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", cookies=_NoCookies()
    ) as http:
        yield http


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def session_of(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def cookies(**values: str) -> dict[str, str]:
    return {**HTML, "Cookie": "; ".join(f"{name}={value}" for name, value in values.items())}


async def token_on(bare: httpx.AsyncClient, path: str, **cookie_values: str) -> str:
    answer = await bare.get(path, headers=cookies(**cookie_values))
    assert answer.status_code == 200, f"{path}: {answer.status_code}"
    found = TOKEN.search(answer.text)
    assert found, f"no form on {path}"
    return found.group(1)


async def signed_in(api: Api, session: str) -> bool:
    answer = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {session}"})
    return answer.status_code == 200


async def sign_out(bare: httpx.AsyncClient, token: str, **cookie_values: str) -> httpx.Response:
    return await bare.post("/signout", data={"csrf_token": token}, headers=cookies(**cookie_values))


async def test_a_token_of_one_session_is_refused_in_another(api, bare) -> None:
    alice = session_of(await api.sign_in())
    bob = session_of(await api.sign_in())
    alices_token = await token_on(bare, "/me", weshop_session=alice)
    bobs_token = await token_on(bare, "/me", weshop_session=bob)
    assert alices_token != bobs_token

    refused = await sign_out(bare, alices_token, weshop_session=bob)
    assert refused.status_code == 403 and "csrf_failed" in refused.text
    assert await signed_in(api, bob)
    # Bob's own token works: the refusal above was the binding, not a broken form.
    assert (await sign_out(bare, bobs_token, weshop_session=bob)).status_code == 303
    assert not await signed_in(api, bob)
    assert await signed_in(api, alice)


async def test_an_attackers_planted_cookie_and_token_are_refused_for_the_victim(api, bare):
    victim = session_of(await api.sign_in())
    # The attacker's own browser, signed out: a pre-session cookie and its token.
    first_page = await bare.get("/signin", headers=HTML)
    planted_cookie = first_page.cookies["weshop_csrf"]
    planted_token = TOKEN.search(first_page.text).group(1)
    # The pair works where it was made (the sign-in form of a signed-out browser)...
    assert (await sign_out(bare, planted_token, weshop_csrf=planted_cookie)).status_code == 303
    # ...and not in the victim's browser, signed in, where the attacker planted the cookie.
    forged = await sign_out(bare, planted_token, weshop_session=victim, weshop_csrf=planted_cookie)
    assert forged.status_code == 403 and "csrf_failed" in forged.text
    assert await signed_in(api, victim)
    # Nor does the token of the attacker's own signed-in session pass for the victim's.
    attacker = session_of(await api.sign_in())
    attackers_token = await token_on(bare, "/me", weshop_session=attacker)
    forged = await sign_out(
        bare, attackers_token, weshop_session=victim, weshop_csrf=planted_cookie
    )
    assert forged.status_code == 403
    assert await signed_in(api, victim)


async def test_signing_in_and_out_replaces_the_pre_session_value(client, api) -> None:
    """The sign-in forms work signed out (bound to the pre-session cookie); once signed in, a
    token taken before is refused, and so is one of the session after signing out."""
    await client.get("/signin", headers=HTML)
    before = client.cookies["weshop_csrf"]
    token_before = TOKEN.search((await client.get("/signin", headers=HTML)).text).group(1)
    await sign_in_page(client)
    assert client.cookies["weshop_csrf"] != before
    session = client.cookies["weshop_session"]
    stale = await client.post("/signout", data={"csrf_token": token_before}, headers=HTML)
    assert stale.status_code == 403
    assert await signed_in(api, session)

    token_of_session = TOKEN.search((await client.get("/me", headers=HTML)).text).group(1)
    pre_session = client.cookies["weshop_csrf"]
    out = await client.post("/signout", data={"csrf_token": token_of_session}, headers=HTML)
    assert out.status_code == 303 and not await signed_in(api, session)
    assert client.cookies["weshop_csrf"] != pre_session
    # Signed out, the session's token is worth nothing, on the sign-in form too.
    again = await client.post(
        "/signin", data={"csrf_token": token_of_session, "phone": "13800000000", "step": "send"}
    )
    assert again.status_code == 403


async def test_the_consoles_sign_in_forms_work_signed_out(client, runtime) -> None:
    """Bound to the pre-session value, the consoles' sign-in forms work for a browser that
    has never been here (the storefront's is driven by ``sign_in_page`` above)."""
    form = await client.get("/console/signin", headers=HTML)
    phone = new_phone()
    sent = await client.post(
        "/console/signin",
        data={"csrf_token": TOKEN.search(form.text).group(1), "phone": phone, "step": "send"},
        headers=HTML,
    )
    assert sent.status_code == 200, sent.text[:500]
    code = re.search(r'role="status">[^<]*?(\d{6})', sent.text).group(1)
    token = TOKEN.search(sent.text).group(1)
    done = await client.post(
        "/console/signin",
        data={"csrf_token": token, "phone": phone, "code": code, "method": "code"},
        headers=HTML,
    )
    assert done.status_code == 303 and "weshop_session" in done.cookies

    client.cookies.clear()
    operator_phone = new_phone()
    async with runtime.db.transaction() as session:
        await accounts.create_operator(session, operator_phone, "operator-password", "运营")
    form = await client.get("/platform/signin", headers=HTML)
    done = await client.post(
        "/platform/signin",
        data={
            "csrf_token": TOKEN.search(form.text).group(1),
            "phone": operator_phone,
            "password": "operator-password",
        },
        headers=HTML,
    )
    assert done.status_code == 303 and "weshop_session" in done.cookies
