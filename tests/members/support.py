"""Helpers for members tests (and for the tenancy sweep's populated tenant)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support import Api, Headers, expect, new_phone
from weshop.accounts.service import get_or_create_user
from weshop.members.models import Membership, PointsEntry
from weshop.members.points_book import ensure_membership
from weshop.stores.models import Store


def merchant_url(store_id: int, path: str) -> str:
    return f"/api/v1/merchant/stores/{store_id}{path}"


async def user_id_of(api: Api, headers: Headers) -> int:
    return expect(await api.client.get("/api/v1/me", headers=headers), 200)["id"]


async def make_member(api: Api, store_id: int, shopper: Headers) -> int:
    """Make the shopper a member of the store (as their first completed order would)."""
    user_id = await user_id_of(api, shopper)
    async with api.runtime.db.transaction() as session:
        await ensure_membership(session, store_id, user_id)
    return user_id


async def add_level(
    api: Api, store_id: int, owner: Headers, name: str, threshold: int, pay: int
) -> dict:
    return expect(
        await api.client.post(
            merchant_url(store_id, "/member-levels"),
            json={"name": name, "growth_threshold": threshold, "pay_percent": pay},
            headers=owner,
        ),
        201,
    )


async def base_level(api: Api, store_id: int, owner: Headers) -> int:
    return (await add_level(api, store_id, owner, "普通会员", 0, 100))["id"]


async def bare_member(runtime) -> tuple[int, int]:
    """A store and a user straight in the database: fast, for property tests."""
    async with runtime.db.transaction() as session:
        store = Store(name="属性测试店")
        session.add(store)
        user = await get_or_create_user(session, new_phone())
        await session.flush()
        return store.id, user.id


async def ledger_totals(runtime, store_id: int, user_id: int) -> tuple[int, int, int, int]:
    """(cached balance, sum of deltas, sum of remaining, growth from the ledger)."""
    async with runtime.db.session(write=False) as session:
        balance = await session.scalar(
            select(Membership.points_balance).where(
                Membership.store_id == store_id, Membership.user_id == user_id
            )
        )
        deltas, remaining, growth = (
            await session.execute(
                select(
                    func.coalesce(func.sum(PointsEntry.delta), 0),
                    func.coalesce(func.sum(PointsEntry.remaining), 0),
                    func.coalesce(func.sum(PointsEntry.growth_delta), 0),
                ).where(PointsEntry.store_id == store_id, PointsEntry.user_id == user_id)
            )
        ).one()
        return balance or 0, int(deltas), int(remaining), int(growth)
