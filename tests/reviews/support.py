"""What other tests (the tenancy sweeps) need of reviews: valid bodies and a reviewed order."""

from __future__ import annotations

from tests.support import Api, Headers, expect

REVIEW_BODIES: dict[tuple[str, str], object] = {
    ("POST", "/api/v1/me/orders/{order_id}/reviews"): {
        "lines": [{"order_line_id": 1, "stars": 5}],
        "service_stars": 5,
        "logistics_stars": 5,
    },
    ("POST", "/api/v1/me/reviews/{review_id}/follow-up"): {"text": "追评"},
    ("POST", "/api/v1/merchant/stores/{store_id}/reviews/{review_id}/reply"): {"text": "谢谢"},
    ("POST", "/api/v1/merchant/stores/{store_id}/reviews/{review_id}/reports"): {"reason": "测试"},
    ("POST", "/api/v1/platform/review-reports/{report_id}/hide"): {"reason": "测试"},
    ("POST", "/api/v1/platform/review-reports/{report_id}/dismiss"): {"reason": "测试"},
}


async def complete_order(
    api: Api,
    store_id: int,
    owner: Headers,
    shopper: Headers,
    address_id: int,
    items: list[tuple[int, int]],
) -> dict:
    """An order of these (SKU, quantity), paid, shipped and received."""
    placed = expect(await api.place_order(shopper, address_id, items), 201)
    order = placed["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{store_id}/orders/{order['id']}/shipments",
            json={"packages": [{"carrier": "顺丰", "tracking_no": "SF1000001"}]},
            headers=owner,
        ),
        200,
    )
    return expect(
        await api.client.post(f"/api/v1/me/orders/{order['id']}/confirm-receipt", headers=shopper),
        200,
    )


async def review_ids(
    api: Api, store_id: int, owner: Headers, shopper: Headers, address_id: int, sku_id: int
) -> dict[str, int]:
    """A review of a completed order, reported by the store: their ids."""
    order = await complete_order(api, store_id, owner, shopper, address_id, [(sku_id, 1)])
    [review] = expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/reviews",
            json={
                "lines": [{"order_line_id": order["lines"][0]["id"], "stars": 4, "text": "不错"}],
                "service_stars": 5,
                "logistics_stars": 5,
            },
            headers=shopper,
        ),
        201,
    )
    report = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{store_id}/reviews/{review['id']}/reports",
            json={"reason": "测试"},
            headers=owner,
        ),
        201,
    )
    return {"review_id": review["id"], "report_id": report["id"]}
