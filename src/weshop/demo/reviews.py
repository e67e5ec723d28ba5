"""Demo data of reviews (评价): the two demo shoppers' received orders from both stores,
reviewed with stars and words (one anonymously), and a store's reply, so that product pages,
the stores' DSR and the console's 评价 page are not empty."""

from __future__ import annotations

from typing import Any

Headers = dict[str, str]

# (shopper index, the SKUs of one checkout, per product title: stars, text, anonymous),
# with the order's service and logistics stars.
REVIEWED_CHECKOUTS = (
    (
        0,
        [("明前西湖龙井 2025新茶", "100g"), ("秦岭土蜂蜜 百花蜜", "500g")],
        {
            "明前西湖龙井 2025新茶": (5, "茶香清新，回甘明显，包装也很用心。", False),
            "秦岭土蜂蜜 百花蜜": (5, "蜂蜜很浓稠，泡水喝很香，会回购。", False),
        },
        (5, 5),
    ),
    (
        0,
        [("重磅纯棉短袖T恤 260g", "白色/M")],
        {"重磅纯棉短袖T恤 260g": (4, "面料厚实，洗了两次没变形，尺码偏大一点。", True)},
        (5, 4),
    ),
    (
        1,
        [("五常稻花香大米 2025新米", "5kg")],
        {"五常稻花香大米 2025新米": (5, "米粒饱满，煮饭很香。", False)},
        (5, 5),
    ),
    (
        1,
        [("经典直筒牛仔裤", "深蓝/30")],
        {"经典直筒牛仔裤": (3, "版型不错，但是发货有点慢。", False)},
        (4, 3),
    ),
)
REPLY = ("经典直筒牛仔裤", "感谢您的反馈，我们会加快发货速度。")


async def seed_reviews(
    seeder: Any, skus: dict[tuple[str, str], int], shoppers: list[tuple[Headers, int]]
) -> None:
    """``seeder``: the demo's seeder (its ``call``, ``pay`` and stores' staff)."""
    for shopper_index, items, reviews, (service, logistics) in REVIEWED_CHECKOUTS:
        shopper, address_id = shoppers[shopper_index]
        checkout = await seeder.call(
            "/api/v1/me/orders",
            shopper,
            {
                "address_id": address_id,
                "items": [{"sku_id": skus[item], "quantity": 1} for item in items],
                "coupon_ids": [],  # the wallets' coupons stay for the demo's visitors
            },
        )
        [order] = checkout["orders"]
        store_id = order["store_id"]
        await seeder.pay(shopper, order["id"])
        await seeder.call(
            f"/api/v1/merchant/stores/{store_id}/orders/{order['id']}/shipments",
            seeder.operators[store_id],
            {"packages": [{"carrier": "中通快递", "tracking_no": f"ZT7{order['id']:011d}"}]},
            status=200,
        )
        await seeder.call(f"/api/v1/me/orders/{order['id']}/confirm-receipt", shopper, status=200)
        written = await seeder.call(
            f"/api/v1/me/orders/{order['id']}/reviews",
            shopper,
            {
                "service_stars": service,
                "logistics_stars": logistics,
                "lines": [
                    {
                        "order_line_id": line["id"],
                        "stars": reviews[line["title"]][0],
                        "text": reviews[line["title"]][1],
                        "anonymous": reviews[line["title"]][2],
                    }
                    for line in order["lines"]
                ],
            },
        )
        for review, line in zip(written, order["lines"], strict=True):
            if line["title"] == REPLY[0]:
                await seeder.call(
                    f"/api/v1/merchant/stores/{store_id}/reviews/{review['id']}/reply",
                    seeder.operators[store_id],
                    {"text": REPLY[1]},
                    status=200,
                )
