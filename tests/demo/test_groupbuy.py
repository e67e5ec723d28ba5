"""The demo's group buy: 三人拼团享5折 on the farm's honey, live, with one open group that a
shopper opened and paid, still missing two members."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.test_demo import demo_settings
from weshop import demo
from weshop.catalog.models import Sku
from weshop.core.clock import utcnow
from weshop.core.db import Database
from weshop.core.migrations import upgrade_async
from weshop.groupbuy.models import Group, GroupCampaign, GroupPrice


async def test_the_demo_has_a_live_three_person_group_buy_at_half_price(tmp_path: Path):
    settings = demo_settings(tmp_path)
    await upgrade_async(settings.database_url)
    assert await demo.seed(settings) == demo.SeedResult.CREATED
    db = Database(settings.database_url)
    try:
        async with db.session(write=False) as session:
            [campaign] = list(await session.scalars(select(GroupCampaign)))
            prices = list(await session.scalars(select(GroupPrice)))
            skus = {s.id: s.price_fen for s in await session.scalars(select(Sku))}
            [group] = list(await session.scalars(select(Group)))
    finally:
        await db.dispose()
    assert campaign.name == "三人拼团享5折" and campaign.group_size == 3
    assert campaign.starts_at <= utcnow() < campaign.ends_at
    assert prices and all(p.price_fen == skus[p.sku_id] // 2 for p in prices)
    assert (group.status, group.member_count, group.size) == ("open", 1, 3)
    assert group.expires_at is not None and group.expires_at > utcnow()
