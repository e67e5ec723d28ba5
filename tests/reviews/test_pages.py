"""The review pages: the buyer's form with a photo, the product and store pages, the store
console's 评价 page (reply, report) and the platform's reported reviews (hide)."""

from __future__ import annotations

import re

from tests.orders.test_console import HTML, csrf_of, post_form, use_session
from tests.reviews.conftest import PNG, completed_order, open_shop
from tests.storefront import page, shopper
from tests.support import expect


async def test_a_buyer_reviews_with_a_photo_and_the_pages_show_it(api, client):
    shop = await open_shop(api)
    _, headers = await shopper(api, client)
    address_id = (await api.add_address(headers))["id"]
    order = await completed_order(api, shop, headers, address_id, both=False)
    line_id = order["lines"][0]["id"]

    order_page = await page(client, f"/me/orders/{order['id']}")
    assert f"/me/orders/{order['id']}/review" in order_page
    assert "/me/reviews" in await page(client, "/me")
    assert "纯棉T恤" in await page(client, "/me/reviews")

    form = await client.get(f"/me/orders/{order['id']}/review", headers=HTML)
    posted = await client.post(
        f"/me/orders/{order['id']}/review",
        data={
            "csrf_token": csrf_of(form),
            f"stars.{line_id}": "5",
            f"text.{line_id}": "面料很舒服，电话13800138000",
            f"anonymous.{line_id}": "1",
            "service_stars": "5",
            "logistics_stars": "4",
        },
        files={f"photos.{line_id}": ("photo.png", PNG, "image/png")},
        headers=HTML,
    )
    assert posted.status_code == 303, posted.text[:2000]

    product_page = await page(client, f"/p/{shop.products[0]['id']}")
    assert "面料很舒服，电话138****8000" in product_page
    assert re.search(r'<img src="/media/[^"]+" alt="[^"]+" loading="lazy"', product_page)
    assert "5.00" in product_page
    store_page = await page(client, f"/s/{shop.store_id}")
    assert 'data-score="service"' in store_page and "5.00" in store_page
    assert "4.00" in store_page
    assert "面料很舒服" in await page(client, f"/p/{shop.products[0]['id']}/reviews")

    again = await client.post(
        f"/me/orders/{order['id']}/review",
        data={"csrf_token": csrf_of(form), f"stars.{line_id}": "1"},
        headers=HTML,
    )
    assert again.status_code == 422

    [mine] = expect(await client.get("/api/v1/me/reviews", headers=headers), 200)["items"]
    follow_path = f"/me/reviews/{mine['id']}/follow-up"
    follow_form = await client.get(follow_path, headers=HTML)
    followed = await client.post(
        follow_path,
        data={"csrf_token": csrf_of(follow_form), "text": "穿了一个月没起球"},
        headers=HTML,
    )
    assert followed.status_code == 303
    assert "穿了一个月没起球" in await page(client, f"/p/{shop.products[0]['id']}/reviews")
    order_page = await page(client, f"/me/orders/{order['id']}")
    assert f"/me/orders/{order['id']}/review" not in order_page
    assert "/follow-up" not in order_page


async def test_staff_reply_and_report_and_the_platform_hides(api, client):
    shop = await open_shop(api)
    order = await completed_order(api, shop, both=False)
    [written] = expect(
        await client.post(
            f"/api/v1/me/orders/{order['id']}/reviews",
            json={
                "lines": [{"order_line_id": order["lines"][0]["id"], "stars": 1, "text": "差"}],
                "service_stars": 1,
                "logistics_stars": 1,
            },
            headers=shop.shopper,
        ),
        201,
    )
    use_session(client, shop.owner)
    base = f"/console/stores/{shop.store_id}/reviews"
    listed = await client.get(base + "?stars=1&unreplied=true", headers=HTML)
    assert listed.status_code == 200 and "差" in listed.text
    replied = await post_form(
        client, base, f"{base}/{written['id']}/reply", {"text": "抱歉，已联系您"}
    )
    assert replied.status_code == 303
    again = await post_form(client, base, f"{base}/{written['id']}/reply", {"text": "再回复"})
    assert again.status_code == 409
    reported = await post_form(
        client, base, f"{base}/{written['id']}/report", {"reason": "恶意差评"}
    )
    assert reported.status_code == 303
    assert "抱歉，已联系您" not in (await client.get(base + "?unreplied=true", headers=HTML)).text

    use_session(client, await api.operator())
    reports = await client.get("/platform/review-reports", headers=HTML)
    assert "恶意差评" in reports.text
    report_id = re.search(r"/platform/review-reports/(\d+)/hide", reports.text).group(1)
    hidden = await post_form(
        client,
        "/platform/review-reports",
        f"/platform/review-reports/{report_id}/hide",
        {"reason": "辱骂"},
    )
    assert hidden.status_code == 303
    client.cookies.clear()
    product_id = shop.products[0]["id"]
    shown = expect(await client.get(f"/api/v1/shop/products/{product_id}/reviews"), 200)
    assert shown["rating"]["count"] == 0
    assert "data-score" in await page(client, f"/s/{shop.store_id}")
