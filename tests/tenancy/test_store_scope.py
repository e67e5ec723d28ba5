"""Tenancy, swept over every route: another tenant's objects answer 404, never their data.

The sweep reads the app's OpenAPI description, so a new store-scoped endpoint is covered the
day it is added; one whose path parameters this file cannot fill fails until it can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.aftersales.support import AFTERSALES_BODIES, aftersales_request
from tests.bargain.support import BARGAIN_BODIES, bargain_ids
from tests.groupbuy.support import group_buy_body, group_buy_terms
from tests.logistics.support import shipping_template, template_body
from tests.logistics.test_pickup_points import POINT, add_point
from tests.members.support import base_level, make_member
from tests.orders.conftest import open_shop
from tests.reviews.support import REVIEW_BODIES, review_ids
from tests.stores.test_applications import STORE_APPLICATION_BODIES, apply_for_a_store
from tests.support import Api, Headers, expect
from weshop.catalog.visits import COMPONENT as VISITS
from weshop.catalog.visits import Visitor
from weshop.core.clock import utcnow
from weshop.core.security import token_digest

MERCHANT_PREFIX = "/api/v1/merchant/stores/{store_id}"
SHOPPER_PREFIX = "/api/v1/me/"
PARAM = re.compile(r"{(\w+)}")

# A body that passes validation for each write route, so that a 404 (not a 422) is what
# tells us the scope held. Keyed by (method, path template).
VALID_BODIES: dict[tuple[str, str], object] = {
    ("PATCH", "/api/v1/merchant/stores/{store_id}"): {"name": "改名"},
    ("POST", "/api/v1/merchant/stores/{store_id}/staff"): {
        "phone": "13600000001",
        "role": "operator",
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/staff/{member_id}"): {"role": "finance"},
    ("POST", "/api/v1/merchant/stores/{store_id}/categories"): {"name": "新分类"},
    ("PATCH", "/api/v1/merchant/stores/{store_id}/categories/{category_id}"): {"name": "改名"},
    ("POST", "/api/v1/platform/categories"): {"name": "新类目"},
    ("PATCH", "/api/v1/platform/categories/{platform_category_id}"): {"name": "改名"},
    ("POST", "/api/v1/merchant/stores/{store_id}/products"): {
        "title": "新品",
        "specs": [],
        "default_price_fen": 100,
        "default_stock": 1,
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/products/{product_id}"): {"title": "改名"},
    ("PUT", "/api/v1/merchant/stores/{store_id}/products/{product_id}/detail"): {"blocks": []},
    ("PATCH", "/api/v1/merchant/stores/{store_id}/products/{product_id}/skus/{sku_id}"): {
        "price_fen": 5
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/skus/{sku_id}/stock-movements"): {
        "kind": "receive",
        "quantity": 5,
        "reason": "到货",
    },
    ("PUT", "/api/v1/merchant/stores/{store_id}/skus/{sku_id}/low-stock-threshold"): {
        "threshold": 3
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/warehouses"): {
        "name": "新仓",
        "province": "浙江省",
        "city": "杭州市",
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/warehouses/{warehouse_id}"): {"city": "宁波市"},
    ("POST", "/api/v1/merchant/stores/{store_id}/orders/{order_id}/shipments"): {
        "packages": [{"carrier": "顺丰", "tracking_no": "SF123456"}]
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/orders/{order_id}/cancel"): {"reason": "测试"},
    ("POST", "/api/v1/shop/referrals/{code}"): {"channel": "link"},
    ("POST", "/api/v1/merchant/stores/{store_id}/orders/{order_id}/refunds"): {
        "lines": [{"order_line_id": 1, "amount_fen": 1}],
        "reason": "测试",
    },
    ("PUT", "/api/v1/platform/ledger/stores/{store_id}/fee-plan"): {"plan": "advanced"},
    ("PUT", "/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay"): {
        "sub_mchid": "1900000201"
    },
    ("POST", "/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay/applyment"): {
        "form": {}
    },
    ("POST", "/api/v1/platform/ledger/entries/{entry_id}/reversals"): {"reason": "测试"},
    ("PATCH", "/api/v1/me/addresses/{address_id}"): {"city": "宁波市"},
    ("PATCH", "/api/v1/me/cart/items/{item_id}"): {"quantity": 2},
    ("POST", "/api/v1/me/orders/{order_id}/cancel"): {},
    ("POST", "/api/v1/me/orders/{order_id}/payments"): {"channel": "h5"},
    ("POST", "/api/v1/checkouts/{checkout_no}/payments"): {"channel": "h5"},
    ("POST", "/api/v1/merchant/stores/{store_id}/coupon-templates"): {
        "name": "满100减10",
        "kind": "fixed",
        "amount_off_fen": 1000,
        "threshold_fen": 10000,
        "valid_days_after_claim": 7,
        "total_quantity": 100,
    },
    (
        "POST",
        "/api/v1/merchant/stores/{store_id}/coupon-templates/{coupon_template_id}/issuances",
    ): {"phones": ["13600000002"]},
    ("POST", "/api/v1/platform/coupon-templates"): {
        "name": "平台券",
        "kind": "no_threshold",
        "amount_off_fen": 500,
        "valid_days_after_claim": 7,
        "total_quantity": 100,
    },
    ("POST", "/api/v1/platform/coupon-templates/{coupon_template_id}/issuances"): {
        "phones": ["13600000003"]
    },
    ("POST", "/api/v1/me/coupons/claims"): {"template_id": 1},
    ("POST", "/api/v1/merchant/stores/{store_id}/full-reductions"): {
        "name": "满减",
        "kind": "amount",
        "tiers": [{"threshold_fen": 10000, "amount_off_fen": 1000}],
    },
    ("PUT", "/api/v1/merchant/stores/{store_id}/full-reductions/{reduction_id}"): {
        "name": "满折",
        "kind": "percent",
        "tiers": [{"threshold_fen": 10000, "percent_off": 10}],
    },
    ("PUT", "/api/v1/merchant/stores/{store_id}/stacking-rules"): {
        "exclusive_pairs": [["full_reduction", "store_coupon"]]
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/shipping-templates"): template_body("新模板"),
    (
        "PUT",
        "/api/v1/merchant/stores/{store_id}/shipping-templates/{shipping_template_id}",
    ): template_body("改名模板"),
    ("POST", "/api/v1/merchant/stores/{store_id}/member-levels"): {
        "name": "金卡会员",
        "growth_threshold": 1000,
        "pay_percent": 95,
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/member-levels/{member_level_id}"): {
        "name": "改名"
    },
    ("PUT", "/api/v1/merchant/stores/{store_id}/member-rules"): {"points_per_yuan": 2},
    ("POST", "/api/v1/merchant/stores/{store_id}/group-buys"): group_buy_body(1, 1),
    ("PATCH", "/api/v1/merchant/stores/{store_id}/group-buys/{campaign_id}"): group_buy_terms(1),
    (
        "POST",
        "/api/v1/merchant/stores/{store_id}/members/{member_user_id}/points-adjustments",
    ): {"delta": 10, "reason": "测试"},
    ("POST", "/api/v1/merchant/stores/{store_id}/flash-sessions"): {
        "title": "晚八点秒杀",
        "starts_at": "2090-01-01T20:00:00+08:00",
        "ends_at": "2090-01-01T20:30:00+08:00",
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/flash-sessions/{flash_session_id}"): {
        "title": "改名"
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/flash-sessions/{flash_session_id}/copies"): {
        "days": 1
    },
    ("POST", "/api/v1/merchant/stores/{store_id}/flash-sessions/{flash_session_id}/items"): {
        "sku_id": 1,
        "flash_price_fen": 100,
        "flash_stock": 1,
    },
    (
        "PATCH",
        "/api/v1/merchant/stores/{store_id}/flash-sessions/{flash_session_id}/items/{flash_item_id}",
    ): {"per_shopper_limit": 2},
    ("POST", "/api/v1/platform/flash-sessions/{flash_session_id}/copies"): {"days": 1},
    ("POST", "/api/v1/me/flash-items/{flash_item_id}/attempts"): {"address_id": 1},
    ("POST", "/api/v1/platform/flash-sessions/{flash_session_id}/items"): {
        "sku_id": 1,
        "flash_price_fen": 100,
        "flash_stock": 1,
    },
    ("PATCH", "/api/v1/platform/flash-sessions/{flash_session_id}/items/{flash_item_id}"): {
        "per_shopper_limit": 2
    },
    ("PUT", "/api/v1/platform/affiliate-policy"): {"max_depth": 2},
    ("POST", "/api/v1/me/promoter"): {"real_name": "王小明", "phone": "13912345678"},
    ("PUT", "/api/v1/me/promoter/payout-account"): {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    ("POST", "/api/v1/platform/promoters/{promoter_id}/reject"): {"reason": "测试"},
    # The tenant is the first store of a fresh database: its own product has id 1 (the
    # listing made below is of a second product).
    ("POST", "/api/v1/merchant/stores/{store_id}/affiliate-listings"): {
        "product_id": 1,
        "rate_bps": 1000,
    },
    ("PATCH", "/api/v1/merchant/stores/{store_id}/affiliate-listings/{listing_id}"): {
        "rate_bps": 1500
    },
    ("POST", "/api/v1/platform/affiliate-listings/{listing_id}/reject"): {"reason": "测试"},
    ("POST", "/api/v1/platform/commission-holds/{hold_id}/{action}"): {"note": "测试"},
    ("POST", "/api/v1/platform/affiliate-listings/{listing_id}/take-down"): {"reason": "测试"},
}
VALID_BODIES.update(BARGAIN_BODIES)
VALID_BODIES.update(AFTERSALES_BODIES)
VALID_BODIES.update(
    {
        ("POST", "/api/v1/merchant/stores/{store_id}/pickup-points"): POINT,
        ("PUT", "/api/v1/merchant/stores/{store_id}/pickup-points/{pickup_point_id}"): POINT,
        ("POST", "/api/v1/merchant/stores/{store_id}/pickups/verify"): {"code": "000000000000"},
    }
)
VALID_BODIES.update(REVIEW_BODIES)
PRODUCT = "/api/v1/merchant/stores/{store_id}/products/{product_id}"
VALID_BODIES.update(
    {
        ("POST", f"{PRODUCT}/specs"): {"name": "款式", "values": ["常规"]},
        ("POST", f"{PRODUCT}/specs/values"): {
            "name": "颜色",
            "value": "绿",
            "price_fen": 100,
            "stock": 1,
        },
        ("POST", f"{PRODUCT}/specs/values/rename"): {
            "name": "颜色",
            "value": "红",
            "new_value": "酒红",
        },
        ("POST", f"{PRODUCT}/specs/values/retire"): {"name": "颜色", "value": "红"},
        ("POST", "/api/v1/merchant/stores/{store_id}/products/bulk/status"): {
            "product_ids": [1],
            "action": "unpublish",
        },
        ("POST", "/api/v1/merchant/stores/{store_id}/products/bulk/price"): {
            "product_ids": [1],
            "change": {"mode": "add", "amount_fen": 1},
        },
        ("POST", "/api/v1/merchant/stores/{store_id}/products/bulk/stock"): {
            "product_ids": [1],
            "change": {"mode": "add", "quantity": 1},
            "reason": "到货",
        },
        ("POST", "/api/v1/merchant/stores/{store_id}/shipment-batches"): {
            "shipments": [{"order_id": 1, "carrier": "顺丰", "tracking_no": "SF123456"}]
        },
    }
)
VALID_BODIES.update(STORE_APPLICATION_BODIES)
VALID_BODIES[("PUT", "/api/v1/merchant/stores/{store_id}/wechat/my-message-preferences")] = {
    "event": "new_order",
    "enabled": False,
}


async def viewed_product(api: Api, shopper: Headers, product_id: int) -> None:
    recorder = api.runtime.components[VISITS]
    token = shopper["Authorization"].removeprefix("Bearer ")
    recorder.product_view(product_id, Visitor(token_digest(token), None), utcnow())
    await recorder.flush(api.runtime.db)


async def store_application_ids(api: Api, shopper: Headers) -> dict[str, int]:
    """The shopper's own application to open a store, and its licence image."""
    return await apply_for_a_store(api.client, shopper)


@dataclass
class Tenant:
    store_id: int
    owner: Headers
    shopper: Headers
    ids: dict[str, int | str]


async def combined_payment(api: Api, shopper: Headers, address_id: int, sku_id: int) -> str:
    """The shopper's checkout of this SKU and another store's, paid once: its number."""
    other, owner = await api.create_store(await api.operator(), "合单另一店")
    product = await api.create_product(other["id"], owner, price_fen=500)
    items = [(sku_id, 1), (product["skus"][0]["id"], 1)]
    placed = expect(await api.place_order(shopper, address_id, items), 201)
    paying = expect(
        await api.client.post(
            f"/api/v1/checkouts/{placed['checkout_no']}/payments", headers=shopper
        ),
        201,
    )
    return paying["combine_out_trade_no"]


async def populated_tenant(api: Api) -> Tenant:
    """A store with one of everything, and a shopper with an order, an address, a cart."""
    shop = await open_shop(api)
    store_id = shop.store["id"]
    client = api.client
    category = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories",
            json={"name": "茶叶"},
            headers=shop.owner,
        ),
        201,
    )
    member = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/staff",
            json={"phone": "13500000009" if store_id % 2 else "13500000008", "role": "finance"},
            headers=shop.owner,
        ),
        201,
    )
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    item = expect(
        await client.post(
            "/api/v1/me/cart/items",
            json={"sku_id": shop.sku_id, "quantity": 1},
            headers=shop.shopper,
        ),
        201,
    )
    cart_item_id = item["id"]
    favourite = expect(
        await client.post(
            "/api/v1/me/favourites", json={"product_id": shop.product["id"]}, headers=shop.shopper
        ),
        200,
    )
    # The shopper viewed the product: an entry of their browsing history (足迹).
    await viewed_product(api, shop.shopper, shop.product["id"])
    coupon_template = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/coupon-templates",
            json=VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/coupon-templates")],
            headers=shop.owner,
        ),
        201,
    )
    reduction = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/full-reductions",
            json=VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/full-reductions")],
            headers=shop.owner,
        ),
        201,
    )
    campaign = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/group-buys",
            json=group_buy_body(shop.product["id"], shop.sku_id),
            headers=shop.owner,
        ),
        201,
    )
    group_order = expect(
        await client.post(
            "/api/v1/me/groups",
            json={
                "campaign_id": campaign["id"],
                "sku_id": shop.sku_id,
                "address_id": shop.address["id"],
            },
            headers=shop.shopper,
        ),
        201,
    )
    flash_base = f"/api/v1/merchant/stores/{store_id}/flash-sessions"
    flash_session = expect(
        await client.post(
            flash_base,
            json=VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/flash-sessions")],
            headers=shop.owner,
        ),
        201,
    )
    flash_item = expect(
        await client.post(
            f"{flash_base}/{flash_session['id']}/items",
            json={"sku_id": shop.sku_id, "flash_price_fen": 100, "flash_stock": 1},
            headers=shop.owner,
        ),
        201,
    )
    listed_product = await api.create_product(store_id, shop.owner, title="联盟商品")
    listing = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/affiliate-listings",
            json={"product_id": listed_product["id"], "rate_bps": 1000},
            headers=shop.owner,
        ),
        201,
    )
    promoter = expect(
        await client.post(
            "/api/v1/me/promoter",
            json=VALID_BODIES[("POST", "/api/v1/me/promoter")],
            headers=shop.shopper,
        ),
        201,
    )
    # An approved promoter with a share link to the pooled product: a poster is theirs only.
    operator = await api.operator()
    for approval in (
        f"/api/v1/platform/affiliate-listings/{listing['id']}/approve",
        f"/api/v1/platform/promoters/{promoter['id']}/approve",
    ):
        expect(await client.post(approval, headers=operator), 200)
    share_link = expect(
        await client.post(
            "/api/v1/me/share-links",
            json={"product_id": listed_product["id"]},
            headers=shop.shopper,
        ),
        200,
    )
    warehouse = expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/warehouses",
            json=VALID_BODIES[("POST", "/api/v1/merchant/stores/{store_id}/warehouses")],
            headers=shop.owner,
        ),
        201,
    )
    platform_category = expect(
        await client.post(
            "/api/v1/platform/categories",
            json={"name": f"类目{store_id}"},
            headers=await api.operator(),
        ),
        201,
    )
    return Tenant(
        store_id=store_id,
        owner=shop.owner,
        shopper=shop.shopper,
        ids={
            "warehouse_id": warehouse["id"],
            "platform_category_id": platform_category["id"],
            "store_id": store_id,
            "category_id": category["id"],
            "product_id": shop.product["id"],
            "sku_id": shop.sku_id,
            "order_id": placed["orders"][0]["id"],
            "checkout_no": placed["checkout_no"],
            "combine_out_trade_no": await combined_payment(
                api, shop.shopper, shop.address["id"], shop.sku_id
            ),
            "member_id": member["id"],
            "address_id": shop.address["id"],
            "item_id": cart_item_id,
            "favourite_id": favourite["id"],
            "shipping_template_id": await shipping_template(api, store_id, shop.owner),
            "pickup_point_id": (await add_point(api, store_id, shop.owner))["id"],
            "member_level_id": await base_level(api, store_id, shop.owner),
            "member_user_id": await make_member(api, store_id, shop.shopper),
            "coupon_template_id": coupon_template["id"],
            "reduction_id": reduction["id"],
            "campaign_id": campaign["id"],
            "group_id": group_order["group_id"],
            "group_order_id": group_order["orders"][0]["id"],
            "flash_session_id": flash_session["id"],
            "flash_item_id": flash_item["id"],
            "listing_id": listing["id"],
            "promoter_id": promoter["id"],
            "code": share_link["code"],
            # A mini-program code's scene: the product, shared through the promoter's link.
            "scene": f"p{shop.product['id']}.{share_link['code']}",
            "month": "2026-12",  # a promoter's statement
            # The ledger is the platform's: no tenant owns an entry (none exists: 404).
            "entry_id": 1,
            # Commission holds are the platform's too (none exists: 404), decided by action.
            "hold_id": 1,
            "action": "release",
            **await bargain_ids(api, store_id, shop.owner, shop.sku_id),
            # On an order of its own: the fast refund it gets closes that order.
            "request_id": await aftersales_request(
                api,
                shop.shopper,
                expect(
                    await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]),
                    201,
                )["orders"][0],
            ),
            **await review_ids(
                api, store_id, shop.owner, shop.shopper, shop.address["id"], shop.sku_id
            ),
            **await store_application_ids(api, shop.shopper),
        },
    )


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str
    takes_body: bool
    takes_upload: bool


def endpoints(app, prefix: str) -> list[Endpoint]:
    """Every operation under ``prefix``, read from the app's own OpenAPI description."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith(prefix):
            continue
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            found.append(
                Endpoint(
                    method.upper(),
                    path,
                    takes_body="requestBody" in operation,
                    takes_upload="multipart/form-data" in content,
                )
            )
    return found


def fill(path: str, ids: dict[str, int | str]) -> str:
    missing = [name for name in PARAM.findall(path) if name not in ids]
    assert not missing, f"teach the tenancy sweep how to fill {missing} in {path}"
    return PARAM.sub(lambda m: str(ids[m.group(1)]), path)


async def call(client, endpoint: Endpoint, ids: dict[str, int | str], headers: Headers):
    path = fill(endpoint.template, ids)
    if endpoint.takes_upload:
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        return await client.post(path, files={"file": ("a.png", png, "image/png")}, headers=headers)
    body = VALID_BODIES.get((endpoint.method, endpoint.template))
    if endpoint.takes_body and body is None:
        pytest.fail(
            f"no valid body for {endpoint.method} {endpoint.template}: add one to VALID_BODIES"
        )
    return await client.request(endpoint.method, path, json=body, headers=headers)


async def test_staff_of_one_store_get_404_for_every_object_of_another(api, app, client):
    a = await populated_tenant(api)
    b = await populated_tenant(api)
    checked = 0
    for endpoint in endpoints(app, MERCHANT_PREFIX):
        # A's owner, B's store in the path: B does not exist for them.
        answer = await call(client, endpoint, b.ids, a.owner)
        assert answer.status_code == 404, f"{endpoint} with B's store: {answer.text}"
        # A's own store in the path, but B's object: still not found.
        if len(PARAM.findall(endpoint.template)) > 1:
            answer = await call(client, endpoint, dict(b.ids, store_id=a.store_id), a.owner)
            assert answer.status_code == 404, f"{endpoint} with B's object: {answer.text}"
        checked += 1
    assert checked >= 20


async def test_a_shopper_gets_404_for_another_shoppers_things(api, app, client):
    a = await populated_tenant(api)
    b = await populated_tenant(api)
    checked = 0
    for endpoint in endpoints(app, SHOPPER_PREFIX):
        if not PARAM.search(endpoint.template) or "invitations" in endpoint.template:
            continue
        if "/flash-items/" in endpoint.template:
            continue  # a flash item is a store's offer to every shopper, not anyone's own
        if "/statements/" in endpoint.template:
            continue  # a month names nobody's object: the statement is always the caller's
        answer = await call(client, endpoint, b.ids, a.shopper)
        assert answer.status_code == 404, f"{endpoint}: {answer.text}"
        checked += 1
    assert checked >= 8


async def test_ids_beyond_the_database_range_are_4xx_everywhere(api, app, client):
    tenant = await populated_tenant(api)
    operator = await api.operator()
    for endpoint in endpoints(app, "/api/v1/"):
        if not PARAM.search(endpoint.template):
            continue
        headers = operator if "/platform/" in endpoint.template else tenant.owner
        if endpoint.template.startswith(SHOPPER_PREFIX):
            headers = tenant.shopper
        huge = {name: 10**20 for name in PARAM.findall(endpoint.template)}
        answer = await call(client, endpoint, huge, headers)
        assert 400 <= answer.status_code < 500, f"{endpoint}: {answer.status_code} {answer.text}"
