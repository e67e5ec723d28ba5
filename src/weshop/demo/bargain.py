"""Demo data of bargaining (砍价): a running campaign on the farm's West Lake Longjing, and a
bargain that 王小雨 started, with a few friends' helps (one from her own phone, recorded but
not counted, so the console shows why)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from weshop.core.clock import utcnow

Headers = dict[str, str]
TEA = ("明前西湖龙井 2025新茶", "50g")
HELPER_PHONES = ("13700000011", "13700000012", "13700000013")
# A second account on the starter's own phone.
SAME_PHONE_HELPER = "13700000014"
STARTER_DEVICE = "demo-phone-wang-xiaoyu"


async def seed_bargain(seeder: Any, skus: dict[tuple[str, str], int], starter: Headers) -> None:
    """``seeder``: the demo's seeder (its ``call``, stores and staff); ``starter``: a shopper."""
    store_id = seeder.store_ids["山野农场"]
    staff = seeder.operators[store_id]
    now = utcnow()
    campaign = await seeder.call(
        f"/api/v1/merchant/stores/{store_id}/bargain/campaigns",
        staff,
        {
            "name": "龙井好友砍价 9.9元带回家",
            "sku_id": skus[TEA],
            "start_price_fen": 12800,
            "floor_price_fen": 990,
            "helps_needed": 6,
            "window_hours": 48,
            "stock": 50,
            "per_shopper_limit": 1,
            "helper_daily_cap": 3,
            # The demo's requests all come from one address: three such helps count, the
            # fourth is recorded and shown to the merchant as not counted.
            "max_shared_helps": 3,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=14)).isoformat(),
        },
    )
    bargain = await seeder.call(
        "/api/v1/me/bargains",
        {**starter, "X-Device-Id": STARTER_DEVICE},
        {"campaign_id": campaign["id"]},
    )
    for phone in HELPER_PHONES:
        helper = await seeder.sign_in_with_demo_password(phone)
        await seeder.call(f"/api/v1/shop/bargains/{bargain['id']}/helps", helper)
    same_phone = await seeder.sign_in_with_demo_password(SAME_PHONE_HELPER)
    await seeder.call(
        f"/api/v1/shop/bargains/{bargain['id']}/helps",
        {**same_phone, "X-Device-Id": STARTER_DEVICE},
    )
