"""Bargain objects for the sweeps (tenancy, bad input): valid bodies and a tenant's ids."""

from __future__ import annotations

from datetime import timedelta

from tests.support import Api, Headers, expect
from weshop.core.clock import utcnow

CAMPAIGNS = "/api/v1/merchant/stores/{store_id}/bargain/campaigns"


def campaign_terms(sku_id: int) -> dict:
    now = utcnow()
    return {
        "name": "砍价",
        "sku_id": sku_id,
        "start_price_fen": 1000,
        "floor_price_fen": 100,
        "helps_needed": 3,
        "window_hours": 24,
        "stock": 10,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
    }


# Bodies that pass validation (the SKU is checked by the service, after the tenant's scope).
BARGAIN_BODIES: dict[tuple[str, str], object] = {
    ("POST", CAMPAIGNS): campaign_terms(1),
    ("PUT", CAMPAIGNS + "/{bargain_campaign_id}"): campaign_terms(1),
    ("POST", "/api/v1/me/bargains"): {"campaign_id": 1},
    ("POST", "/api/v1/me/bargains/{bargain_id}/orders"): {"address_id": 1},
}


async def bargain_ids(api: Api, store_id: int, owner: Headers, sku_id: int) -> dict[str, int]:
    """A bargain campaign of the store on ``sku_id`` and a bargain started by a new shopper."""
    campaign = expect(
        await api.client.post(
            CAMPAIGNS.format(store_id=store_id), json=campaign_terms(sku_id), headers=owner
        ),
        201,
    )
    bargain = expect(
        await api.client.post(
            "/api/v1/me/bargains",
            json={"campaign_id": campaign["id"]},
            headers=await api.sign_in(),
        ),
        201,
    )
    return {"bargain_campaign_id": campaign["id"], "bargain_id": bargain["id"]}
