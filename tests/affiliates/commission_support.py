"""Helpers of the commission tests: a pooled product, promoters, a shopper who followed a
promoter's link, orders paid, completed and settled through the API, and the promoter's
earnings read back."""

from __future__ import annotations

from dataclasses import dataclass

from tests.affiliates.conftest import Pool
from tests.support import Headers, expect
from weshop.affiliates import links
from weshop.affiliates.clicks import Visit
from weshop.affiliates.models import ClickChannel, Promoter

EARNINGS = "/api/v1/me/promoter/earnings"
PAYOUT = "/api/v1/me/promoter/payout-account"


def statement_url(month: str) -> str:
    return f"/api/v1/me/promoter/statements/{month}.csv"


@dataclass
class Seller:
    """An approved promoter: their headers and record."""

    headers: Headers
    record: dict

    @property
    def id(self) -> int:
        return self.record["id"]


async def follow_link(pool: Pool, seller: Seller, shopper: Headers) -> None:
    """The shopper follows the promoter's share link of the pooled product (the click a
    share link's page records)."""
    user = expect(await pool.client.get("/api/v1/me", headers=shopper), 200)
    async with pool.api.runtime.db.transaction() as session:
        promoter = await session.get_one(Promoter, seller.id)
        link = await links.share_link(
            session, promoter, links.Target(links.TargetKind.PRODUCT, pool.product["id"])
        )
        followed = await links.follow(
            session, link.code, ClickChannel.LINK, Visit(user_id=user["id"], visitor_id=None)
        )
        assert followed is not None and followed.click_id is not None


async def earnings(pool: Pool, seller: Seller, **params) -> dict:
    return expect(await pool.client.get(EARNINGS, params=params, headers=seller.headers), 200)


async def set_payout(pool: Pool, seller: Seller, openid: str) -> None:
    expect(await pool.client.put(PAYOUT, json={"openid": openid}, headers=seller.headers), 200)
