"""Reviewing through the API: only the buyer, only completed orders, once per line, one
follow-up, one reply; screening; reports and hiding; photos first on the product."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from tests.reviews.conftest import (
    PNG,
    Shop,
    completed_order,
    line_review,
    placed_order,
    review,
    upload_photo,
)
from tests.support import expect
from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.reviews.models import Review

STARS = {"service_stars": 5, "logistics_stars": 4}


def merchant(shop: Shop, path: str) -> str:
    return f"/api/v1/merchant/stores/{shop.store_id}{path}"


async def test_the_buyer_reviews_each_line_once_and_rates_the_order_once(api, shop: Shop):
    order = await completed_order(api, shop)
    pending = expect(await api.client.get("/api/v1/me/reviews/pending", headers=shop.shopper), 200)
    assert {p["order_line_id"] for p in pending} == {line["id"] for line in order["lines"]}

    await review(api, shop.shopper, order, [line_review(order, 0)], 422)  # no order stars
    first = await review(api, shop.shopper, order, [line_review(order, 0, stars=4)], **STARS)
    assert first[0]["stars"] == 4 and first[0]["status"] == "visible"

    again = await review(api, shop.shopper, order, [line_review(order, 0)], 409)
    assert again["error"]["code"] == "already_reviewed"
    rated = await review(api, shop.shopper, order, [line_review(order, 1)], 409, **STARS)
    assert rated["error"]["code"] == "order_already_rated"
    await review(api, shop.shopper, order, [line_review(order, 1)])
    pending = expect(await api.client.get("/api/v1/me/reviews/pending", headers=shop.shopper), 200)
    assert pending == []


async def test_only_the_buyer_of_a_completed_order_reviews(api, shop: Shop):
    unpaid = await placed_order(api, shop)
    not_done = await review(api, shop.shopper, unpaid, [line_review(unpaid)], 409, **STARS)
    assert not_done["error"]["code"] == "order_not_completed"

    order = await completed_order(api, shop)
    stranger = await api.sign_in()
    await review(api, stranger, order, [line_review(order)], 404, **STARS)
    photo = expect(
        await api.client.post(
            f"/api/v1/me/orders/{order['id']}/review-photos",
            files={"file": ("a.png", b"x", "image/png")},
            headers=stranger,
        ),
        404,
    )
    assert photo["error"]["code"] == "not_found"
    other = await completed_order(api, shop)
    foreign_line = {**line_review(order), "order_line_id": other["lines"][0]["id"]}
    await review(api, shop.shopper, order, [foreign_line], 404, **STARS)


async def test_concurrent_reviews_of_one_line_make_one(api, shop: Shop):
    order = await completed_order(api, shop)
    answers = await asyncio.gather(
        *(
            api.client.post(
                f"/api/v1/me/orders/{order['id']}/reviews",
                json={"lines": [line_review(order)], **STARS},
                headers=shop.shopper,
            )
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]


async def test_one_follow_up_within_its_window(api, runtime, shop: Shop):
    order = await completed_order(api, shop)
    [first, second] = await review(
        api, shop.shopper, order, [line_review(order, 0), line_review(order, 1)], **STARS
    )
    url = f"/api/v1/me/reviews/{first['id']}/follow-up"
    done = expect(
        await api.client.post(url, json={"text": "用了一个月，还不错"}, headers=shop.shopper), 200
    )
    assert done["follow_up"]["text"] == "用了一个月，还不错"
    twice = expect(await api.client.post(url, json={"text": "再说"}, headers=shop.shopper), 409)
    assert twice["error"]["code"] == "already_followed_up"
    stranger = await api.sign_in()
    expect(await api.client.post(url, json={"text": "x"}, headers=stranger), 404)

    async with runtime.db.transaction() as session:
        await session.execute(
            update(Review)
            .where(Review.id == second["id"])
            .values(created_at=utcnow() - timedelta(days=181))
        )
    late = expect(
        await api.client.post(
            f"/api/v1/me/reviews/{second['id']}/follow-up",
            json={"text": "晚了"},
            headers=shop.shopper,
        ),
        409,
    )
    assert late["error"]["code"] == "follow_up_closed"


async def test_staff_reply_once_to_a_review_and_once_to_its_follow_up(api, shop: Shop):
    order = await completed_order(api, shop, both=False)
    [written] = await review(api, shop.shopper, order, [line_review(order)], **STARS)
    url = merchant(shop, f"/reviews/{written['id']}/reply")
    early = expect(
        await api.client.post(url, json={"text": "谢谢", "to": "follow_up"}, headers=shop.owner),
        409,
    )
    assert early["error"]["code"] == "no_follow_up"
    replied = expect(await api.client.post(url, json={"text": "谢谢惠顾"}, headers=shop.owner), 200)
    assert replied["reply"] == "谢谢惠顾"
    again = expect(await api.client.post(url, json={"text": "再谢"}, headers=shop.owner), 409)
    assert again["error"]["code"] == "already_replied"

    expect(
        await api.client.post(
            f"/api/v1/me/reviews/{written['id']}/follow-up",
            json={"text": "追评"},
            headers=shop.shopper,
        ),
        200,
    )
    body = {"text": "感谢追评", "to": "follow_up"}
    answered = expect(await api.client.post(url, json=body, headers=shop.owner), 200)
    assert answered["follow_up"]["reply"] == "感谢追评"
    expect(await api.client.post(url, json=body, headers=shop.owner), 409)

    unreplied = expect(
        await api.client.get(merchant(shop, "/reviews?unreplied=true"), headers=shop.owner), 200
    )
    assert unreplied["items"] == []


async def test_text_is_screened_and_abuse_is_flagged(api, shop: Shop):
    order = await completed_order(api, shop, both=False)
    text = "有问题打我电话13912345678，身份证11010519491231002X，傻逼客服"
    [written] = await review(api, shop.shopper, order, [line_review(order, text=text)], **STARS)
    assert written["text"] == "有问题打我电话139****5678，身份证110***********002X，**客服"
    assert written["flagged"] is True
    operator = await api.operator()
    reports = expect(await api.client.get("/api/v1/platform/review-reports", headers=operator), 200)
    [report] = [r for r in reports["items"] if r["review_id"] == written["id"]]
    assert report["by_screening"] is True and report["status"] == "open"
    public = expect(
        await api.client.get(f"/api/v1/shop/products/{order['lines'][0]['product_id']}/reviews"),
        200,
    )
    assert "13912345678" not in str(public)


async def test_anonymous_reviews_show_a_masked_name(api, runtime, shop: Shop):
    me = expect(await api.client.get("/api/v1/me", headers=shop.shopper), 200)
    async with runtime.db.transaction() as session:
        user = await session.get_one(User, me["id"])
        user.display_name = "张三丰"
    order = await completed_order(api, shop)
    await review(
        api,
        shop.shopper,
        order,
        [line_review(order, 0, anonymous=True), line_review(order, 1)],
        **STARS,
    )
    product_id = order["lines"][0]["product_id"]
    shown = expect(await api.client.get(f"/api/v1/shop/products/{product_id}/reviews"), 200)
    assert [(r["author"], r["anonymous"]) for r in shown["items"]] == [("张**", True)]
    other = order["lines"][1]["product_id"]
    shown = expect(await api.client.get(f"/api/v1/shop/products/{other}/reviews"), 200)
    assert shown["items"][0]["author"] == "张三丰"


async def test_photos_come_first_and_pages_follow(api, shop: Shop):
    product_id = shop.products[0]["id"]
    with_photos = []
    for n in range(5):
        shopper, address_id = await api.buyer()
        order = await completed_order(api, shop, shopper, address_id, both=False)
        photos = [await upload_photo(api, shopper, order["id"], n)] if n % 2 == 0 else []
        stars = 5 if n < 4 else 2
        [written] = await review(
            api,
            shopper,
            order,
            [line_review(order, stars=stars, photo_ids=[p["id"] for p in photos])],
            **STARS,
        )
        if photos:
            with_photos.append(written["id"])
    url = f"/api/v1/shop/products/{product_id}/reviews?limit=2"
    first = expect(await api.client.get(url), 200)
    assert first["rating"] == {"count": 5, "average": 4.4, "positive_percent": 80}
    second = expect(await api.client.get(url + f"&cursor={first['next_cursor']}"), 200)
    third = expect(await api.client.get(url + f"&cursor={second['next_cursor']}"), 200)
    ids = [r["id"] for page in (first, second, third) for r in page["items"]]
    assert ids[:3] == sorted(with_photos, reverse=True)
    assert len(set(ids)) == 5 and third["next_cursor"] is None
    assert first["items"][0]["photos"][0]["url"].startswith("/media/")
    bad = expect(await api.client.get(url + "&cursor=abc"), 422)
    assert bad["error"]["code"] == "invalid_cursor"


async def test_a_photo_must_be_uploaded_for_the_store(api, shop: Shop):
    order = await completed_order(api, shop, both=False)
    other_shop_id, other_owner = await api.new_store("别家")
    asset = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{other_shop_id}/media",
            files={"file": ("a.png", PNG, "image/png")},
            headers=other_owner,
        ),
        201,
    )
    refused = await review(
        api, shop.shopper, order, [line_review(order, photo_ids=[asset["id"]])], 422, **STARS
    )
    assert refused["error"]["code"] == "unknown_photo"
    too_many = [line_review(order, photo_ids=list(range(1, 11)))]
    await review(api, shop.shopper, order, too_many, 422, **STARS)


async def test_staff_report_and_the_platform_hides_or_dismisses(api, shop: Shop):
    order = await completed_order(api, shop)
    [kept, hidden] = await review(
        api, shop.shopper, order, [line_review(order, 0), line_review(order, 1, stars=1)], **STARS
    )
    reports = []
    for written in (kept, hidden):
        reports.append(
            expect(
                await api.client.post(
                    merchant(shop, f"/reviews/{written['id']}/reports"),
                    json={"reason": "恶意差评"},
                    headers=shop.owner,
                ),
                201,
            )
        )
    twice = expect(
        await api.client.post(
            merchant(shop, f"/reviews/{kept['id']}/reports"),
            json={"reason": "x"},
            headers=shop.owner,
        ),
        409,
    )
    assert twice["error"]["code"] == "already_reported"
    operator = await api.operator()
    listed = expect(await api.client.get("/api/v1/platform/review-reports", headers=operator), 200)
    assert {r["id"] for r in listed["items"]} >= {r["id"] for r in reports}
    expect(
        await api.client.post(
            f"/api/v1/platform/review-reports/{reports[0]['id']}/dismiss",
            json={"reason": "属实评价"},
            headers=operator,
        ),
        200,
    )
    done = expect(
        await api.client.post(
            f"/api/v1/platform/review-reports/{reports[1]['id']}/hide",
            json={"reason": "辱骂"},
            headers=operator,
        ),
        200,
    )
    assert done["status"] == "upheld"
    assert done["review"]["status"] == "hidden" and done["review"]["hidden_reason"] == "辱骂"
    decided = expect(
        await api.client.post(
            f"/api/v1/platform/review-reports/{reports[1]['id']}/dismiss",
            json={"reason": "x"},
            headers=operator,
        ),
        409,
    )
    assert decided["error"]["code"] == "illegal_transition"
    product_id = order["lines"][1]["product_id"]
    shown = expect(await api.client.get(f"/api/v1/shop/products/{product_id}/reviews"), 200)
    assert shown["items"] == [] and shown["rating"]["count"] == 0
    expect(await api.client.get("/api/v1/platform/review-reports", headers=shop.owner), 403)
