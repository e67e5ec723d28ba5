"""Demo data of after-sales (售后), on the past orders: a return of one jar of honey that
arrived broken, waiting for the farm's answer, and a fast refund of the jeans that never
shipped (approved at once; the worker sends the refund)."""

from __future__ import annotations

from typing import Any

Headers = dict[str, str]
HONEY = "秦岭土蜂蜜 百花蜜"
JEANS = "经典直筒牛仔裤"


async def _line(seeder: Any, shopper: Headers, title: str) -> tuple[dict, dict]:
    """The shopper's paid order holding a line of ``title``, and that line."""
    answer = await seeder.client.get("/api/v1/me/orders", headers=shopper)
    for order in answer.json()["items"]:
        for line in order["lines"]:
            if line["title"] == title and order["paid_fen"]:
                return order, line
    raise LookupError(f"no paid order of {title}")


async def seed_aftersales(seeder: Any, shoppers: list[tuple[Headers, int]]) -> None:
    """``seeder``: the demo's seeder (its ``call`` and client); ``shoppers``: the first two
    shoppers, whose past orders these are."""
    (first, _), (second, _) = shoppers
    order, honey = await _line(seeder, first, HONEY)
    await seeder.call(
        "/api/v1/me/aftersales",
        first,
        {
            "order_id": order["id"],
            "order_line_id": honey["id"],
            "quantity": 1,
            "kind": "return_and_refund",
            "reason_code": "damaged",
            "note": "其中一罐瓶口裂了，蜂蜜漏了一些",
        },
    )
    order, jeans = await _line(seeder, second, JEANS)
    await seeder.call(
        "/api/v1/me/aftersales",
        second,
        {
            "order_id": order["id"],
            "order_line_id": jeans["id"],
            "quantity": 1,
            "kind": "refund_only",
            "reason_code": "changed_mind",
            "note": "尺码拍错了",
        },
    )
