"""Browsing the shop as people do (a browser's User-Agent, a cookie jar each) and reading the
visit counters the recorder wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select

from weshop.catalog.visit_models import (
    BrowsingHistory,
    ProductVisitDay,
    ProductVisitor,
    StoreVisitDay,
    StoreVisitor,
)

BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
HTML = {"Accept": "text/html", "User-Agent": BROWSER}


@asynccontextmanager
async def browser(app: Any, session_token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A phone's browser of its own (its own cookies), signed in with ``session_token``."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=HTML) as b:
        if session_token:
            b.cookies.set("weshop_session", session_token)
        yield b


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def counters(runtime: Any, store_id: int) -> dict[str, int]:
    """The store's page views and visitor rows, and its products' views and visitor rows."""
    async with runtime.db.transaction() as session:

        async def one(statement: Any) -> int:
            return int(await session.scalar(statement) or 0)

        return {
            "page_views": await one(
                select(func.sum(StoreVisitDay.page_views)).where(StoreVisitDay.store_id == store_id)
            ),
            "visitors": await one(
                select(func.count())
                .select_from(StoreVisitor)
                .where(StoreVisitor.store_id == store_id)
            ),
            "product_views": await one(
                select(func.sum(ProductVisitDay.views)).where(ProductVisitDay.store_id == store_id)
            ),
            "product_visitors": await one(
                select(func.count())
                .select_from(ProductVisitor)
                .where(ProductVisitor.store_id == store_id)
            ),
            "history": await one(select(func.count()).select_from(BrowsingHistory)),
        }
