"""Who is asking: X-Forwarded-For counts only from trusted proxies; unknown hosts are refused.

The client's address is what rate limits count (here: sign-in codes per client address).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from tests.support import new_phone
from weshop.app import create_app
from weshop.core.config import Settings

PER_CLIENT = 3
PROXY = "10.1.2.3"


@pytest.fixture
async def behind_proxies(settings: Settings) -> AsyncIterator:
    app = create_app(
        settings.model_copy(
            update={
                "trusted_proxies": ["10.0.0.0/8", "192.0.2.1"],
                "allowed_hosts": ["shop.example.com", "*.shop.example.com"],
                "otp_per_client_per_hour": PER_CLIENT,
            }
        ),
        check_schema=False,
    )
    yield app
    await app.state.runtime.close()


def client_of(app, peer: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 50000)),
        base_url="http://shop.example.com",
    )


async def codes_asked(http: httpx.AsyncClient, forwarded_for: list[str | None]) -> list[int]:
    answers = []
    for value in forwarded_for:
        headers = {"X-Forwarded-For": value} if value else {}
        answer = await http.post("/api/v1/auth/codes", json={"phone": new_phone()}, headers=headers)
        answers.append(answer.status_code)
    return answers


async def test_from_an_untrusted_peer_the_header_is_ignored(behind_proxies) -> None:
    async with client_of(behind_proxies, "198.51.100.7") as http:
        spoofed = [f"203.0.113.{n}" for n in range(5)]
        assert await codes_asked(http, spoofed) == [202, 202, 202, 429, 429]


async def test_from_a_trusted_proxy_the_client_it_saw_is_counted(behind_proxies) -> None:
    async with client_of(behind_proxies, PROXY) as http:
        # Five different clients behind the proxy: none is limited by the others.
        assert await codes_asked(http, [f"203.0.113.{n}" for n in range(5)]) == [202] * 5
        # One client, asking again and again, is.
        assert await codes_asked(http, ["198.51.100.20"] * 4) == [202, 202, 202, 429]


async def test_a_spoofed_chain_does_not_change_the_client(behind_proxies) -> None:
    """What a client writes itself is left of what the proxies append, so never chosen."""
    async with client_of(behind_proxies, PROXY) as http:
        chains = [f"{n}.{n}.{n}.{n}, 198.51.100.30, 10.0.0.7, 192.0.2.1" for n in range(1, 5)]
        assert await codes_asked(http, chains) == [202, 202, 202, 429]


async def test_without_a_header_a_trusted_proxy_is_the_client(behind_proxies) -> None:
    async with client_of(behind_proxies, "192.0.2.1") as http:
        assert await codes_asked(http, [None] * 4) == [202, 202, 202, 429]


async def test_by_default_no_proxy_is_trusted(client, runtime, monkeypatch) -> None:
    """The session's app has no trusted proxies: the same peer, whatever it forwards."""
    monkeypatch.setattr(runtime.settings, "otp_per_client_per_hour", PER_CLIENT)
    forwarded = [f"203.0.113.{n}" for n in range(4)]
    assert await codes_asked(client, forwarded) == [202, 202, 202, 429]


async def test_another_host_is_refused(behind_proxies) -> None:
    async with client_of(behind_proxies, "198.51.100.7") as http:
        assert (await http.get("/openapi.json")).status_code == 200
        sub = await http.get("/openapi.json", headers={"Host": "m.shop.example.com"})
        assert sub.status_code == 200
        for host in ("evil.example", "shop.example.com.evil.example", "127.0.0.1"):
            refused = await http.get("/openapi.json", headers={"Host": host})
            assert refused.status_code == 400, host
            # A load balancer's liveness probe often has an address as Host: it is answered.
            assert (await http.get("/healthz", headers={"Host": host})).status_code == 200


def test_trusted_proxies_must_be_addresses(settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("WESHOP_TRUSTED_PROXIES", '["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"]')
    assert Settings().trusted_proxies == ["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"]
    for wrong in (["*"], ["proxy.example"], ["10.0.0.0/33"]):
        with pytest.raises(ValidationError):
            Settings(trusted_proxies=wrong, data_dir=settings.data_dir)


def test_any_host_and_no_proxy_by_default(monkeypatch) -> None:
    for name in ("WESHOP_TRUSTED_PROXIES", "WESHOP_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert defaults.trusted_proxies == [] and defaults.allowed_hosts == ["*"]
