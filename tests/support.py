"""Test helpers that drive WeShop through its public API, the way a client would."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from weshop.accounts import service as accounts
from weshop.core.clients import SERVER_OPTIONS
from weshop.core.worker import Worker

_phones = itertools.count(13800000001)


def new_phone() -> str:
    return str(next(_phones))


Headers = dict[str, str]


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    return response.json() if response.content else None


@dataclass
class Api:
    client: httpx.AsyncClient
    runtime: Any = None
    _codes: dict[str, str] = field(default_factory=dict)

    async def sign_in(self, phone: str | None = None) -> Headers:
        phone = phone or new_phone()
        sent = expect(await self.client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
        session = expect(
            await self.client.post(
                "/api/v1/auth/sessions", json={"phone": phone, "code": sent["demo_code"]}
            ),
            201,
        )
        return {"Authorization": f"Bearer {session['token']}"}

    async def operator(self) -> Headers:
        phone, password = new_phone(), "operator-password"
        async with self.runtime.db.transaction() as session:
            await accounts.create_operator(session, phone, password, "运营")
        session_out = expect(
            await self.client.post(
                "/api/v1/auth/sessions", json={"phone": phone, "password": password}
            ),
            201,
        )
        return {"Authorization": f"Bearer {session_out['token']}"}

    async def create_store(self, operator: Headers, name: str = "测试小店") -> tuple[dict, Headers]:
        """A store and its owner's headers."""
        owner_phone = new_phone()
        store = expect(
            await self.client.post(
                "/api/v1/platform/stores",
                json={"name": name, "owner_phone": owner_phone},
                headers=operator,
            ),
            201,
        )
        return store, await self.sign_in(owner_phone)

    async def add_staff(self, store_id: int, owner: Headers, role: str) -> Headers:
        phone = new_phone()
        member = expect(
            await self.client.post(
                f"/api/v1/merchant/stores/{store_id}/staff",
                json={"phone": phone, "role": role},
                headers=owner,
            ),
            201,
        )
        headers = await self.sign_in(phone)
        expect(
            await self.client.post(
                f"/api/v1/me/invitations/{member['id']}/accept", headers=headers
            ),
            200,
        )
        return headers

    async def create_product(
        self,
        store_id: int,
        staff: Headers,
        *,
        title: str = "纯棉T恤",
        specs: list[dict] | None = None,
        price_fen: int = 9900,
        stock: int = 100,
        publish: bool = True,
        skus: list[dict] | None = None,
        category_id: int | None = None,
    ) -> dict:
        body: dict[str, Any] = {
            "title": title,
            "specs": specs or [],
            "default_price_fen": price_fen,
            "default_stock": stock,
            "publish": publish,
        }
        if skus is not None:
            body["skus"] = skus
        if category_id is not None:
            body["category_id"] = category_id
        return expect(
            await self.client.post(
                f"/api/v1/merchant/stores/{store_id}/products", json=body, headers=staff
            ),
            201,
        )

    async def add_address(self, shopper: Headers) -> dict:
        return expect(
            await self.client.post(
                "/api/v1/me/addresses",
                json={
                    "recipient": "张三",
                    "phone": "13912345678",
                    "province": "浙江省",
                    "city": "杭州市",
                    "district": "西湖区",
                    "detail": "文三路 100 号 1 单元 101",
                },
                headers=shopper,
            ),
            201,
        )

    async def buyer(self) -> tuple[Headers, int]:
        """A new signed-in shopper with an address: their headers and the address id."""
        shopper = await self.sign_in()
        return shopper, (await self.add_address(shopper))["id"]

    async def place_order(
        self,
        shopper: Headers,
        address_id: int,
        items: list[tuple[int, int]],
        *,
        key: str | None = None,
    ) -> httpx.Response:
        headers = dict(shopper)
        if key:
            headers["Idempotency-Key"] = key
        return await self.client.post(
            "/api/v1/me/orders",
            json={
                "address_id": address_id,
                "items": [{"sku_id": sku, "quantity": qty} for sku, qty in items],
            },
            headers=headers,
        )

    async def start_payment(self, shopper: Headers, order_id: int) -> dict:
        return expect(
            await self.client.post(f"/api/v1/me/orders/{order_id}/payments", headers=shopper), 201
        )

    async def confirm_in_cashier(self, payment: dict) -> None:
        """The payer presses 'pay' on the sandbox cashier page."""
        path = httpx.URL(payment["cashier_url"]).path
        expect(await self.client.post(f"{path}/confirm"), 200)

    async def order(self, shopper: Headers, order_id: int) -> dict:
        return expect(await self.client.get(f"/api/v1/me/orders/{order_id}", headers=shopper), 200)

    async def new_store(self, name: str = "测试小店") -> tuple[int, Headers]:
        """A store opened by a fresh operator: its id and its owner's headers."""
        store, owner = await self.create_store(await self.operator(), name)
        return store["id"], owner


@dataclass
class Runner:
    """Runs what the background worker would: due outbox rows and sandbox deliveries."""

    runtime: Any
    worker: Worker

    async def run(self, now: datetime | None = None) -> int:
        handled = 0
        for _ in range(20):
            delivered = await self.runtime.components["sandbox_gateway"].deliver_due(now)
            done = await self.worker.run_once(now)
            handled += done + delivered
            if done == 0 and delivered == 0:
                break
        return handled


def all_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route of an app (``app.routes``), also those inside included routers, which
    FastAPI keeps nested."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from all_routes(included.routes)
        else:
            yield route


def free_port() -> int:
    """A loopback port free now, for a server whose URL must be known before it starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def served(app: Any, port: int = 0) -> AsyncIterator[str]:
    """``app`` served by uvicorn over loopback, as `weshop serve` runs it (on ``port``, or
    any free one); yields its URL."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            timeout_keep_alive=300,
            **SERVER_OPTIONS,
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the test server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
