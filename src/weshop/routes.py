"""Every router of the app, API and pages, gathered in one place and in the order they match.

The page toolkit's own routes (``/static``, ``/lang``, the API's documentation) are put on the
app first by :func:`weshop.web.pages.install_page_toolkit`; then come the pages, then the API.
A new domain adds its routers here.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from weshop.accounts import api as accounts_api
from weshop.accounts import console as accounts_console
from weshop.accounts import platform_console as accounts_platform
from weshop.accounts import web as accounts_web
from weshop.affiliates import api as affiliates_api
from weshop.affiliates import console as affiliates_console
from weshop.affiliates import platform_console as affiliates_platform
from weshop.affiliates import web as affiliates_web
from weshop.aftersales import api as aftersales_api
from weshop.aftersales import console as aftersales_console
from weshop.aftersales import platform_console as aftersales_platform
from weshop.aftersales import web as aftersales_web
from weshop.analytics import console as analytics_console
from weshop.bargain import api as bargain_api
from weshop.bargain import console as bargain_console
from weshop.bargain import web as bargain_web
from weshop.cart import api as cart_api
from weshop.cart import web as cart_web
from weshop.catalog import api as catalog_api
from weshop.catalog import console as catalog_console
from weshop.catalog import console_categories as catalog_console_categories
from weshop.catalog import console_detail as catalog_console_detail
from weshop.catalog import console_images as catalog_console_images
from weshop.catalog import console_imports as catalog_console_imports
from weshop.catalog import console_skus as catalog_console_skus
from weshop.catalog import console_specs as catalog_console_specs
from weshop.catalog import console_stock as catalog_console_stock
from weshop.catalog import console_warehouses as catalog_console_warehouses
from weshop.catalog import favourites_api as catalog_favourites_api
from weshop.catalog import favourites_web as catalog_favourites_web
from weshop.catalog import platform_console as catalog_platform
from weshop.catalog import web as catalog_web
from weshop.catalog.bulk import api as catalog_bulk_api
from weshop.catalog.bulk import console as catalog_console_bulk
from weshop.flashsale import api as flashsale_api
from weshop.flashsale import console as flashsale_console
from weshop.flashsale import web as flashsale_web
from weshop.groupbuy import api as groupbuy_api
from weshop.groupbuy import console as groupbuy_console
from weshop.groupbuy import web as groupbuy_web
from weshop.inventory import api as inventory_api
from weshop.ledger import api as ledger_api
from weshop.ledger import console as ledger_console
from weshop.ledger import platform_console as ledger_platform
from weshop.logistics import api as logistics_api
from weshop.logistics import console as logistics_console
from weshop.logistics import pickup_console as logistics_pickup_console
from weshop.logistics import tracking_api as logistics_tracking_api
from weshop.members import api as members_api
from weshop.members import console as members_console
from weshop.members import history_api as members_history_api
from weshop.members import history_web as members_history_web
from weshop.members import web as members_web
from weshop.orders import api as orders_api
from weshop.orders import console as orders_console
from weshop.orders import first_sales as orders_first_sales
from weshop.orders import pickup_console as orders_pickup_console
from weshop.orders import tracking as orders_tracking
from weshop.orders import web as orders_web
from weshop.orders.bulk import api as orders_bulk_api
from weshop.orders.bulk import console as orders_console_bulk
from weshop.payments import api as payments_api
from weshop.payments import applyment_console as payments_applyment_console
from weshop.payments import checkout_api as payments_checkout_api
from weshop.payments import checkout_web as payments_checkout_web
from weshop.payments import console as payments_console
from weshop.payments import platform_console as payments_platform
from weshop.payments import web as payments_web
from weshop.promotions import api as promotions_api
from weshop.promotions import console as promotions_console
from weshop.promotions import platform_console as promotions_platform
from weshop.promotions import web as promotions_web
from weshop.reviews import api as reviews_api
from weshop.reviews import console as reviews_console
from weshop.reviews import platform_console as reviews_platform
from weshop.reviews import web as reviews_web
from weshop.stores import api as stores_api
from weshop.stores import application_api as stores_application_api
from weshop.stores import application_platform as stores_application_platform
from weshop.stores import application_web as stores_application_web
from weshop.stores import console as stores_console
from weshop.stores import platform_console as stores_platform
from weshop.web import templating
from weshop.wechat import api as wechat_api
from weshop.wechat import messages_api as wechat_messages_api
from weshop.wechat import messages_console as wechat_messages_console
from weshop.wechat import messages_web as wechat_messages_web
from weshop.wechat import share_api as wechat_share_api
from weshop.wechat import share_console as wechat_share_console
from weshop.wechat import share_web as wechat_share_web
from weshop.wechat import web as wechat_web

# The storefront (mobile H5).
STOREFRONT_PAGES: list[APIRouter] = [
    catalog_web.router,
    catalog_favourites_web.router,
    stores_application_web.router,
    accounts_web.router,
    cart_web.router,
    orders_web.router,
    aftersales_web.router,
    payments_web.router,
    payments_checkout_web.router,
    promotions_web.router,
    members_web.router,
    members_history_web.router,
    groupbuy_web.router,
    bargain_web.router,
    flashsale_web.router,
    affiliates_web.router,
    reviews_web.router,
    wechat_web.router,
    wechat_messages_web.router,
]

# Sections that reviews and WeChat add to the buyer's order page (and WeChat to the payment
# result page).
orders_web.SHOPPER_ORDER_PAGE_SECTIONS[:] = [
    reviews_web.order_section,
    wechat_messages_web.subscribe_section,
]
payments_web.RESULT_PAGE_SECTIONS[:] = [wechat_messages_web.subscribe_section]

# Sections of the console's order page: package tracking, and what domains above orders add.
orders_console.ORDER_PAGE_SECTIONS[:] = [
    orders_tracking.tracking_section,
    payments_console.refunds_section,
    affiliates_console.attribution_section,
]

# Sections that the campaign domains and reviews add to the mall home, a store's home and a
# product's page.
catalog_web.MALL_HOME_SECTIONS[:] = [flashsale_web.mall_strip]
catalog_web.STORE_PAGE_SECTIONS[:] = [reviews_web.store_section]
catalog_web.PRODUCT_PAGE_SECTIONS[:] = [
    flashsale_web.product_flash,
    groupbuy_web.product_section,
    bargain_web.product_section,
    reviews_web.product_section,
]

# The platform's figure of each opened store's time to first sale.
stores_application_platform.FIRST_SALE[:] = [orders_first_sales.first_paid_at]

# What every storefront page ends with: the JS-SDK, when an official account is configured.
templating.SHOP_PAGE_PARTS[:] = [wechat_share_web.jssdk_part]

# The merchant console (``/console``).
MERCHANT_CONSOLE_PAGES: list[APIRouter] = [
    orders_console_bulk.router,
    orders_console.router,
    aftersales_console.router,
    reviews_console.router,
    wechat_messages_console.router,
    payments_console.router,
    payments_applyment_console.router,
    promotions_console.router,
    members_console.router,
    groupbuy_console.router,
    bargain_console.router,
    logistics_console.router,
    logistics_pickup_console.router,
    orders_pickup_console.router,
    ledger_console.router,
    accounts_console.router,
    analytics_console.router,
    flashsale_console.router,
    affiliates_console.router,
    catalog_console_bulk.router,
    catalog_console.router,
    catalog_console_skus.router,
    catalog_console_imports.router,
    catalog_console_images.router,
    catalog_console_specs.router,
    catalog_console_detail.router,
    catalog_console_stock.router,
    catalog_console_warehouses.router,
    catalog_console_categories.router,
    stores_console.home,
    stores_console.router,
    wechat_share_console.router,
]

# The platform console (``/platform``).
PLATFORM_CONSOLE_PAGES: list[APIRouter] = [
    accounts_platform.router,
    stores_platform.router,
    catalog_platform.router,
    stores_application_platform.router,
    ledger_platform.router,
    promotions_platform.router,
    payments_platform.router,
    affiliates_platform.router,
    aftersales_platform.router,
    reviews_platform.router,
]

# The REST API (``/api/v1``). The payment providers' routers follow it, from the runtime.
API_ROUTERS: list[APIRouter] = [
    accounts_api.router,
    stores_api.platform,
    stores_api.merchant,
    stores_api.shop,
    stores_api.me,
    catalog_bulk_api.merchant,
    stores_application_api.images,
    stores_application_api.me,
    stores_application_api.platform,
    catalog_api.merchant,
    catalog_api.shop,
    catalog_api.platform,
    inventory_api.merchant,
    catalog_api.stock,
    logistics_api.merchant,
    logistics_tracking_api.shop,
    logistics_tracking_api.callbacks,
    logistics_api.pickup_points,
    logistics_api.shop_pickup_points,
    members_api.merchant,
    members_api.shopper,
    members_history_api.router,
    cart_api.router,
    catalog_favourites_api.router,
    orders_api.shopper,
    orders_bulk_api.merchant,
    orders_api.merchant,
    payments_api.shopper,
    payments_checkout_api.callbacks,
    payments_api.callbacks,
    payments_checkout_api.shopper,
    payments_api.merchant,
    payments_api.platform,
    ledger_api.merchant,
    ledger_api.platform,
    aftersales_api.shopper,
    aftersales_api.shopper_orders,
    aftersales_api.merchant,
    aftersales_api.platform,
    promotions_api.merchant,
    promotions_api.platform,
    promotions_api.shop,
    promotions_api.me,
    groupbuy_api.merchant,
    groupbuy_api.shop,
    groupbuy_api.me,
    bargain_api.merchant,
    bargain_api.shop,
    bargain_api.me,
    flashsale_api.merchant,
    flashsale_api.platform,
    flashsale_api.shop,
    flashsale_api.me,
    affiliates_api.platform,
    affiliates_api.merchant,
    affiliates_api.me,
    affiliates_api.shop,
    affiliates_api.orders,
    reviews_api.shop,
    reviews_api.me,
    reviews_api.merchant,
    reviews_api.platform,
    wechat_share_api.shop,
    wechat_share_api.merchant,
    wechat_api.router,
    wechat_messages_api.shop,
    wechat_messages_api.me,
    wechat_messages_api.merchant,
]


def wechat_sign_in_pages() -> list[BaseRoute]:
    """The storefront pages that a visitor in WeChat's browser signs in to by WeChat's web
    authorisation (all but the sign-in pages of WeChat itself, its callback among them)."""
    return [
        route
        for router in STOREFRONT_PAGES
        if router is not wechat_web.router
        for route in router.routes
    ]


def include_routes(app: FastAPI, payment_routers: Iterable[APIRouter]) -> None:
    """Puts the pages (left out of the API's schema), then the API, then the payment
    providers' routers on the app. (The direct routes, such as the flash-sale attempt, are
    served before any of them: see weshop.core.http.DirectRoutes.)"""
    for router in (*STOREFRONT_PAGES, *MERCHANT_CONSOLE_PAGES, *PLATFORM_CONSOLE_PAGES):
        app.include_router(router, include_in_schema=False)
    for router in (*API_ROUTERS, *payment_routers):
        app.include_router(router)
