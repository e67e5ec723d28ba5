from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import update

from tests.support import expect, new_phone
from weshop.accounts.models import LoginCode
from weshop.core.clock import utcnow


@contextmanager
def settings_changed(runtime, **changes):
    before = {name: getattr(runtime.settings, name) for name in changes}
    for name, value in changes.items():
        setattr(runtime.settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(runtime.settings, name, value)


async def test_the_code_is_returned_only_in_demo_mode(client, runtime):
    with settings_changed(runtime, demo_mode=False):
        sent = expect(await client.post("/api/v1/auth/codes", json={"phone": new_phone()}), 202)
    assert sent["demo_code"] is None
    assert sent["expires_in_seconds"] == runtime.settings.otp_ttl_seconds


async def test_codes_are_rate_limited_per_phone(client, runtime):
    phone = new_phone()
    with settings_changed(runtime, otp_per_phone_per_minute=1):
        expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
        again = await client.post("/api/v1/auth/codes", json={"phone": phone})
        other = await client.post("/api/v1/auth/codes", json={"phone": new_phone()})
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert other.status_code == 202


async def test_codes_are_rate_limited_per_client_address(client, runtime):
    with settings_changed(runtime, otp_per_client_per_hour=3):
        answers = [
            await client.post("/api/v1/auth/codes", json={"phone": new_phone()}) for _ in range(5)
        ]
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]


async def test_an_expired_code_does_not_work(client, runtime):
    phone = new_phone()
    sent = expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
    async with runtime.db.transaction() as session:
        await session.execute(update(LoginCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = await client.post(
        "/api/v1/auth/sessions", json={"phone": phone, "code": sent["demo_code"]}
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_code"


async def test_guessing_codes_is_bounded(client, runtime):
    phone = new_phone()
    sent = expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
    wrong = "000000" if sent["demo_code"] != "000000" else "111111"
    for _ in range(runtime.settings.otp_max_attempts):
        bad = await client.post("/api/v1/auth/sessions", json={"phone": phone, "code": wrong})
        assert bad.status_code == 401
    right = await client.post(
        "/api/v1/auth/sessions", json={"phone": phone, "code": sent["demo_code"]}
    )
    assert right.status_code == 429


async def test_signing_out_ends_the_session(api, client):
    headers = await api.sign_in()
    expect(await client.get("/api/v1/me", headers=headers), 200)
    assert (
        await client.delete("/api/v1/auth/sessions/current", headers=headers)
    ).status_code == 204
    after = await client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthenticated"


async def test_password_sign_in_for_operators(api, client):
    operator = await api.operator()
    me = expect(await client.get("/api/v1/me", headers=operator), 200)
    assert me["is_operator"] is True
    wrong = await client.post(
        "/api/v1/auth/sessions", json={"phone": "13800000000", "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"
