"""A demo store opened the self-service way: someone applies with a licence image, the
platform approves, the new owner lists a product and a shopper buys it. The run's own
timings (application → approval → 进件 → first product → first sale) are kept for
``weshop demo`` to print; the platform console shows the store's time to first sale.

The 进件 step needs WeChat Pay: ``weshop demo --wechatpay`` gives every store, this one too,
a sub-merchant after seeding; on the sandbox it does not apply.
"""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from weshop.demo.product_media import with_pictures

APPLICANT_PHONE = "13900000301"
STORE_NAME = "山里人家"


class Seeder(Protocol):
    client: httpx.AsyncClient

    async def call(
        self, path: str, headers: Any = None, body: Any = None, *, status: int = 201
    ) -> Any: ...

    async def sign_in_with_demo_password(self, phone: str) -> dict[str, str]: ...

    async def order(self, shopper: Any, address_id: int, items: Any) -> list[dict[str, Any]]: ...

    async def pay(self, shopper: Any, order_id: int) -> None: ...


@dataclass
class Timings:
    """Seconds from the application to each step of this run."""

    steps: list[tuple[str, float | None]] = field(default_factory=list)

    def text(self) -> str:
        parts = [
            f"{name} {'n/a' if seconds is None else f'+{seconds:.2f} s'}"
            for name, seconds in self.steps
        ]
        return f"Store opening ({STORE_NAME}), this run: application → " + ", ".join(parts)


LAST_RUN = Timings()


def licence_png() -> bytes:
    """A small, real PNG standing for the scanned licence."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = 64, 40
    rows = b"".join(b"\x00" + b"\xc8\x32\x32" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def seed_store_opening(
    seeder: Seeder, operator: dict[str, str], shopper: tuple[dict[str, str], int]
) -> Timings:
    start = time.perf_counter()
    timings = Timings()
    applicant = await seeder.sign_in_with_demo_password(APPLICANT_PHONE)
    files = {"file": ("licence.png", licence_png(), "image/png")}
    uploaded = await seeder.client.post(
        "/api/v1/me/store-application-images", files=files, headers=applicant
    )
    image = uploaded.json()
    application = await seeder.call(
        "/api/v1/me/store-applications",
        applicant,
        {
            "store_name": STORE_NAME,
            "main_category": "fresh_food",
            "contact_name": "山里人",
            "contact_phone": APPLICANT_PHONE,
            "description": "自家果园的苹果和核桃",
            "licence_image_ids": [image["id"]],
        },
    )
    approved = await seeder.call(
        f"/api/v1/platform/store-applications/{application['id']}/approve", operator, status=200
    )
    timings.steps.append(("approval", time.perf_counter() - start))
    timings.steps.append(("进件 finished", None))
    base = f"/api/v1/merchant/stores/{approved['store_id']}"
    category = await seeder.call(f"{base}/categories", applicant, {"name": "水果"})
    body, _ = await with_pictures(
        seeder.client,
        base,
        applicant,
        {
            "title": "高山红富士苹果",
            "category": "水果",
            "subtitle": "山里人家自家果园",
            "description": "果园直发，脆甜多汁。",
            "category_id": category["id"],
            "specs": [{"name": "规格", "values": ["5斤装", "10斤装"]}],
            "default_price_fen": 3990,
            "default_stock": 200,
            "publish": True,
            "skus": [
                {"spec_values": {"规格": "5斤装"}, "price_fen": 3990, "stock": 200},
                {"spec_values": {"规格": "10斤装"}, "price_fen": 6990, "stock": 100},
            ],
        },
    )
    product = await seeder.call(f"{base}/products", applicant, body)
    timings.steps.append(("first product", time.perf_counter() - start))
    buyer, address_id = shopper
    (order,) = await seeder.order(buyer, address_id, [(product["skus"][0]["id"], 1)])
    await seeder.pay(buyer, order["id"])
    timings.steps.append(("first sale", time.perf_counter() - start))
    LAST_RUN.steps[:] = timings.steps
    return timings
