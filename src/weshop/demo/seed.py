"""Demo data: a platform operator, two stores with staff, 30 products and promotions, shoppers
with coupons, and orders.

Everything except the operator account and the staff passwords goes through the public HTTP
API, in-process, so the demo data obeys exactly the rules a real user meets. The seed runs
only on a database without stores, which makes ``weshop demo`` safe to run again.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from weshop.accounts import repository as accounts_repo
from weshop.accounts import service as accounts
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.core.migrations import pending_migrations
from weshop.core.runtime import Runtime
from weshop.demo.affiliates import seed_alliance_pool
from weshop.demo.aftersales import seed_aftersales
from weshop.demo.bargain import seed_bargain
from weshop.demo.categories import STORE_MAPPING, seed_platform_categories
from weshop.demo.data import (
    FARM,
    OPERATOR_PASSWORD,
    OPERATOR_PHONE,
    PLATFORM_COUPONS,
    SHOPPERS,
    STAFF_PASSWORD,
    STORES,
    ShopperSpec,
    StoreSpec,
)
from weshop.demo.flashsale import seed_flash_sale
from weshop.demo.groupbuy import seed_group_buy
from weshop.demo.product_media import colour_pictures, with_pictures
from weshop.demo.reviews import seed_reviews
from weshop.demo.store_opening import seed_store_opening
from weshop.demo.visits import seed_visits
from weshop.payments.providers import payment_setup
from weshop.stores.models import Role, Store

# Everything the seed calls; a missing endpoint is an error, never a quietly smaller demo.
REQUIRED_ROUTES = (
    ("POST", "/api/v1/auth/sessions"),
    ("POST", "/api/v1/platform/stores"),
    ("POST", "/api/v1/merchant/stores/{store_id}/staff"),
    ("POST", "/api/v1/me/invitations/{invitation_id}/accept"),
    ("POST", "/api/v1/platform/categories"),
    ("POST", "/api/v1/merchant/stores/{store_id}/categories"),
    ("POST", "/api/v1/merchant/stores/{store_id}/media"),
    ("POST", "/api/v1/merchant/stores/{store_id}/products"),
    ("PATCH", "/api/v1/merchant/stores/{store_id}/products/{product_id}/skus/{sku_id}"),
    ("POST", "/api/v1/me/addresses"),
    ("POST", "/api/v1/me/orders"),
    ("POST", "/api/v1/me/orders/{order_id}/payments"),
    ("POST", "/api/v1/checkouts/{checkout_no}/payments"),
    ("POST", "/sandbox-pay/combined/{combine_out_trade_no}/confirm"),
    ("POST", "/sandbox-pay/cashier/{out_trade_no}/confirm"),
    ("POST", "/api/v1/merchant/stores/{store_id}/orders/{order_id}/shipments"),
    ("POST", "/api/v1/me/orders/{order_id}/cancel"),
    ("POST", "/api/v1/me/aftersales"),
    ("POST", "/api/v1/merchant/stores/{store_id}/shipping-templates"),
    ("POST", "/api/v1/merchant/stores/{store_id}/full-reductions"),
    ("POST", "/api/v1/merchant/stores/{store_id}/coupon-templates"),
    ("POST", "/api/v1/merchant/stores/{store_id}/member-levels"),
    ("POST", "/api/v1/platform/coupon-templates"),
    ("POST", "/api/v1/me/coupons/claims"),
    ("POST", "/api/v1/me/orders/{order_id}/confirm-receipt"),
    ("POST", "/api/v1/me/orders/{order_id}/reviews"),
    ("POST", "/api/v1/merchant/stores/{store_id}/reviews/{review_id}/reply"),
)


class DemoError(Exception):
    """The demo data could not be created as designed."""


class SeedResult(enum.StrEnum):
    CREATED = "created"
    PRESENT = "present"  # an earlier run seeded this database
    OTHER_DATA = "other_data"  # the database has stores that are not the demo's


def missing_routes(app: FastAPI) -> list[str]:
    # Read from the OpenAPI document: FastAPI nests included routers inside ``app.routes``.
    paths = app.openapi()["paths"]
    return [
        f"{method} {path}"
        for method, path in REQUIRED_ROUTES
        if method.lower() not in paths.get(path, {})
    ]


async def seed(settings: Settings) -> SeedResult:
    """Create the demo data unless the database already has stores."""
    app = create_app(settings, check_schema=False)
    runtime: Runtime = app.state.runtime
    try:
        missing = missing_routes(app)
        if missing:
            raise DemoError(f"the API lacks endpoints the demo needs: {', '.join(missing)}")
        problem = await pending_migrations(runtime.db)
        if problem:
            raise DemoError(problem)
        existing = await _existing_data(runtime)
        if existing is not None:
            return existing
        async with runtime.db.transaction() as session:
            await accounts.create_operator(session, OPERATOR_PHONE, OPERATOR_PASSWORD, "平台运营")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            with _quiet("httpx"):
                await _Seeder(client, runtime).run()
        return SeedResult.CREATED
    finally:
        await payment_setup(runtime).close()
        await runtime.close()


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Hide a library's per-request log lines while the seed makes a hundred requests."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _existing_data(runtime: Runtime) -> SeedResult | None:
    async with runtime.db.session(write=False) as session:
        if not await session.scalar(select(func.count()).select_from(Store)):
            return None
        operator = await accounts_repo.user_by_phone(session, OPERATOR_PHONE)
    return SeedResult.PRESENT if operator and operator.is_operator else SeedResult.OTHER_DATA


Headers = dict[str, str]


@dataclass
class _Seeder:
    client: httpx.AsyncClient
    runtime: Runtime
    store_ids: dict[str, int] = field(default_factory=dict)
    # Each store's operator staff (who keeps the catalogue and ships), by store id.
    operators: dict[int, Headers] = field(default_factory=dict)
    coupon_template_ids: list[int] = field(default_factory=list)
    # The platform's sub-categories by name, which the stores' categories map onto.
    platform_categories: dict[str, int] = field(default_factory=dict)

    async def call(
        self,
        path: str,
        headers: Headers | None = None,
        body: dict[str, Any] | None = None,
        *,
        status: int = 201,
    ) -> Any:
        response = await self.client.post(path, json=body, headers=headers)
        if response.status_code != status:
            raise DemoError(f"POST {path} answered {response.status_code}: {response.text}")
        return response.json()

    async def run(self) -> None:
        operator = await self.sign_in(OPERATOR_PHONE, OPERATOR_PASSWORD)
        self.platform_categories = await seed_platform_categories(self, operator)
        skus: dict[tuple[str, str], int] = {}
        for store in STORES:
            skus.update(await self.open_store(store, operator))
            await self.promotions(store)
        for body in PLATFORM_COUPONS:
            template = await self.call("/api/v1/platform/coupon-templates", operator, body)
            self.coupon_template_ids.append(template["id"])
        shoppers = [await self.shopper(spec) for spec in SHOPPERS]
        await self.past_orders(shoppers, skus)
        await seed_aftersales(self, shoppers[:2])
        await seed_group_buy(self, shoppers)
        await seed_bargain(self, skus, shoppers[0][0])
        await seed_reviews(self, skus, shoppers)
        farm = self.store_ids[FARM.name]
        await seed_flash_sale(self.client, farm, self.operators[farm])
        await seed_alliance_pool(self, operator, shoppers[1])
        await seed_visits(
            self.runtime, list(self.store_ids.values()), [headers for headers, _ in shoppers]
        )
        await seed_store_opening(self, operator, shoppers[1])

    async def sign_in(self, phone: str, password: str) -> Headers:
        credentials = {"phone": phone, "password": password}
        session = await self.call("/api/v1/auth/sessions", body=credentials)
        return {"Authorization": f"Bearer {session['token']}"}

    async def sign_in_with_demo_password(self, phone: str) -> Headers:
        """Everyone but the operator gets the demo password, so visitors can sign in as them.

        Shoppers too: signing them in by code would use up the one code a minute their phone
        may ask for, and a visitor's first request for a code would be refused."""
        async with self.runtime.db.transaction() as session:
            user = await accounts.get_or_create_user(session, phone)
            await accounts.set_password(session, user, STAFF_PASSWORD)
        return await self.sign_in(phone, STAFF_PASSWORD)

    async def open_store(self, spec: StoreSpec, operator: Headers) -> dict[tuple[str, str], int]:
        """The store, its staff, categories and products; returns SKU ids by (title, spec)."""
        store = await self.call(
            "/api/v1/platform/stores",
            operator,
            {
                "name": spec.name,
                "description": spec.description,
                "owner_phone": spec.staff_phones[Role.OWNER],
                "owner_name": spec.owner_name,
            },
        )
        self.store_ids[spec.name] = store["id"]
        base = f"/api/v1/merchant/stores/{store['id']}"
        owner = await self.sign_in_with_demo_password(spec.staff_phones[Role.OWNER])
        for role, phone in spec.staff_phones.items():
            if role == Role.OWNER:
                continue
            invitation = await self.call(f"{base}/staff", owner, {"phone": phone, "role": role})
            member = await self.sign_in_with_demo_password(phone)
            await self.call(f"/api/v1/me/invitations/{invitation['id']}/accept", member, status=200)
            if role == Role.OPERATOR:
                self.operators[store["id"]] = member
        # The catalogue is the operator's job, as it would be in a real store.
        catalogue = self.operators[store["id"]]
        categories = {}
        for name in spec.categories:
            body = {"name": name}
            if name in STORE_MAPPING:
                body["platform_category_id"] = self.platform_categories[STORE_MAPPING[name]]
            categories[name] = (await self.call(f"{base}/categories", catalogue, body))["id"]
        skus: dict[tuple[str, str], int] = {}
        for product in spec.products:
            body, colour_ids = await with_pictures(self.client, base, catalogue, product)
            body["category_id"] = categories[product["category"]]
            created = await self.call(f"{base}/products", catalogue, body)
            await colour_pictures(self.client, base, catalogue, created, colour_ids)
            for sku in created["skus"]:
                label = "/".join(sku["spec_values"][dim["name"]] for dim in product["specs"])
                skus[(product["title"], label)] = sku["id"]
        return skus

    async def promotions(self, spec: StoreSpec) -> None:
        """Shipping, a full reduction, coupons and member levels, set by the store's operator."""
        store_id = self.store_ids[spec.name]
        base = f"/api/v1/merchant/stores/{store_id}"
        staff = self.operators[store_id]
        await self.call(f"{base}/shipping-templates", staff, spec.promotions.shipping_template)
        for body in spec.promotions.full_reductions:
            await self.call(f"{base}/full-reductions", staff, body)
        for body in spec.promotions.coupons:
            template = await self.call(f"{base}/coupon-templates", staff, body)
            self.coupon_template_ids.append(template["id"])
        for body in spec.promotions.member_levels:
            await self.call(f"{base}/member-levels", staff, body)

    async def shopper(self, spec: ShopperSpec) -> tuple[Headers, int]:
        """A shopper with an address and every demo coupon claimed into the wallet."""
        headers = await self.sign_in_with_demo_password(spec.phone)
        address = await self.call(
            "/api/v1/me/addresses",
            headers,
            {"recipient": spec.name, "phone": spec.phone, **spec.address},
        )
        for template_id in self.coupon_template_ids:
            await self.call("/api/v1/me/coupons/claims", headers, {"template_id": template_id})
        return headers, address["id"]

    async def past_orders(
        self, shoppers: list[tuple[Headers, int]], skus: dict[tuple[str, str], int]
    ) -> None:
        """Orders in each state: shipped, paid, waiting for payment and cancelled."""
        (first, first_address), (second, second_address) = shoppers
        # One checkout across both stores splits into one order per store; the farm's is paid
        # and shipped, the clothing one still waits for payment.
        split = await self.order(
            first,
            first_address,
            [
                (skus[("明前西湖龙井 2025新茶", "100g")], 1),
                (skus[("秦岭土蜂蜜 百花蜜", "500g")], 2),
                (skus[("重磅纯棉短袖T恤 260g", "白色/M")], 2),
            ],
        )
        farm = next(order for order in split if order["store_id"] == self.store_ids[FARM.name])
        await self.pay(first, farm["id"])
        await self.call(
            f"/api/v1/merchant/stores/{farm['store_id']}/orders/{farm['id']}/shipments",
            self.operators[farm["store_id"]],
            {"packages": [{"carrier": "顺丰速运", "tracking_no": "SF1400012345678"}]},
            status=200,
        )
        (jeans,) = await self.order(
            second, second_address, [(skus[("经典直筒牛仔裤", "深蓝/30")], 1)]
        )
        await self.pay(second, jeans["id"])
        # A checkout across both stores paid once (合单支付): one cashier, each store's order
        # paid to that store.
        both = await self.order(
            second,
            second_address,
            [(skus[("东北秋木耳", "250g")], 2), (skus[("经典直筒牛仔裤", "深蓝/32")], 1)],
            coupon_ids=[],  # the shopper keeps their coupons to try
        )
        await self.pay_checkout(second, both[0]["checkout_no"])
        (groceries,) = await self.order(
            second,
            second_address,
            [(skus[("五常稻花香大米 2025新米", "5kg")], 1), (skus[("东北秋木耳", "250g")], 1)],
        )
        await self.call(
            f"/api/v1/me/orders/{groceries['id']}/cancel",
            second,
            {"reason": "地址填错了,重新下单"},
            status=200,
        )

    async def order(
        self,
        shopper: Headers,
        address_id: int,
        items: list[tuple[int, int]],
        *,
        coupon_ids: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """A checkout; without ``coupon_ids`` the wallet's best coupons apply."""
        checkout = await self.call(
            "/api/v1/me/orders",
            shopper,
            {
                "address_id": address_id,
                "items": [{"sku_id": sku, "quantity": quantity} for sku, quantity in items],
                "coupon_ids": coupon_ids,
            },
        )
        return checkout["orders"]

    async def pay_checkout(self, shopper: Headers, checkout_no: str) -> None:
        """One sandbox payment for every order of a multi-store checkout, confirmed at once."""
        payment = await self.call(
            f"/api/v1/checkouts/{checkout_no}/payments?provider=sandbox", shopper
        )
        await self.call(f"{httpx.URL(payment['cashier_url']).path}/confirm", status=200)

    async def pay(self, shopper: Headers, order_id: int) -> None:
        """The shopper opens the cashier and confirms; the sandbox calls WeShop back at once.
        (The demo's past orders are paid in the sandbox whatever the installation's default.)"""
        payment = await self.call(
            f"/api/v1/me/orders/{order_id}/payments?provider=sandbox", shopper
        )
        await self.call(f"{httpx.URL(payment['cashier_url']).path}/confirm", status=200)
