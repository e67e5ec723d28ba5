"""Driving the merchant console's pages as a browser would: the session cookie of a staff
member, the CSRF token of the forms, ``Accept: text/html``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import update

from tests.support import Headers
from weshop.orders.models import Order
from weshop.payments.models import Payment

HTML = {"Accept": "text/html,application/xhtml+xml"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def use_session(client: httpx.AsyncClient, staff: Headers) -> None:
    """Browse the pages as the person whose API headers these are (the same token)."""
    client.cookies.set("weshop_session", staff["Authorization"].removeprefix("Bearer "))


async def page(client: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    return await client.get(path, params=params or None, headers=HTML)


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token of this client's session, read from a console page with a form: the one
    ``/console`` leads to (its sign-out button) when signed in, the sign-in page otherwise."""
    answer = await client.get("/console", headers=HTML, follow_redirects=True)
    found = _CSRF.search(answer.text)
    if not found:
        answer = await client.get("/console/signin", headers=HTML)
        found = _CSRF.search(answer.text)
    assert found, "no CSRF token on the console's pages"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> httpx.Response:
    """Posts a form with its CSRF token, as the page's form would."""
    body = {"csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(path, data=body, files=files, headers=HTML)


def redirected_to(response: httpx.Response) -> str:
    assert response.status_code == 303, f"{response.status_code}: {response.text[:2000]}"
    return response.headers["location"]


async def paid_order(api: Any, runner: Any, shopper: Headers, sku_id: int, quantity: int) -> int:
    """An order placed and paid through the sandbox cashier, as a shopper does it."""
    address = await api.add_address(shopper)
    placed = await api.place_order(shopper, address["id"], [(sku_id, quantity)])
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orders"][0]["id"]
    await api.confirm_in_cashier(await api.start_payment(shopper, order_id))
    await runner.run()
    return order_id


async def move_order_in_time(runtime: Any, order_id: int, moment: datetime) -> None:
    """Pretends an order was placed and paid at ``moment`` (tests of days and charts)."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Order).where(Order.id == order_id).values(created_at=moment, paid_at=moment)
        )
        await session.execute(
            update(Payment).where(Payment.order_id == order_id).values(paid_at=moment)
        )
