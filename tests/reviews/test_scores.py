"""The store's DSR: 90-day rolling averages of shown reviews and of the orders' stars, with the
previous 90 days for the trend; old reviews drop out and hidden ones do not count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.reviews.conftest import Shop, completed_order, line_review, review
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.reviews.models import OrderRating, Review


async def reviewed(api, shop: Shop, stars: int, service: int, logistics: int) -> dict:
    shopper, address_id = await api.buyer()
    order = await completed_order(api, shop, shopper, address_id, both=False)
    [written] = await review(
        api,
        shopper,
        order,
        [line_review(order, stars=stars)],
        service_stars=service,
        logistics_stars=logistics,
    )
    return written


async def age(runtime, written: dict, days: int) -> None:
    moment = utcnow() - timedelta(days=days)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Review).where(Review.id == written["id"]).values(created_at=moment)
        )
        await session.execute(
            update(OrderRating)
            .where(OrderRating.order_id == written["order_id"])
            .values(created_at=moment)
        )


async def scores(api, shop: Shop) -> dict:
    return expect(await api.client.get(f"/api/v1/shop/stores/{shop.store_id}/scores"), 200)


async def test_scores_average_the_last_90_days_and_compare_with_the_90_before(
    api, runtime, shop: Shop
):
    empty = await scores(api, shop)
    assert empty["description"] == {"score": None, "previous": None, "change": None, "count": 0}

    recent = [await reviewed(api, shop, s, 5, 4) for s in (5, 5, 4)]
    older = await reviewed(api, shop, 3, 3, 3)
    await age(runtime, older, 120)
    gone = await reviewed(api, shop, 1, 1, 1)
    await age(runtime, gone, 200)  # beyond both windows: counts nowhere

    found = await scores(api, shop)
    assert found["window_days"] == 90
    assert found["description"] == {"score": 4.67, "previous": 3.0, "change": 1.67, "count": 3}
    assert found["service"] == {"score": 5.0, "previous": 3.0, "change": 2.0, "count": 3}
    assert found["logistics"]["score"] == 4.0 and found["logistics"]["previous"] == 3.0

    # Hidden by the platform: the review no longer counts in the description score.
    report = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{shop.store_id}/reviews/{recent[2]['id']}/reports",
            json={"reason": "刷单"},
            headers=shop.owner,
        ),
        201,
    )
    operator = await api.operator()
    expect(
        await api.client.post(
            f"/api/v1/platform/review-reports/{report['id']}/hide",
            json={"reason": "刷单"},
            headers=operator,
        ),
        200,
    )
    found = await scores(api, shop)
    assert found["description"]["score"] == 5.0 and found["description"]["count"] == 2


async def test_scores_of_a_store_without_reviews_and_of_no_store(api, shop: Shop):
    expect(await api.client.get("/api/v1/shop/stores/999999/scores"), 404)
    found = await scores(api, shop)
    assert found["service"]["count"] == 0
