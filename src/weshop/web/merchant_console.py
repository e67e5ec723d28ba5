"""The merchant console's page routers (``/console``), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []

# Part B: orders (with refunds), promotions, members, shipping, finance.
from weshop.ledger import console as ledger_console  # noqa: E402
from weshop.logistics import console as logistics_console  # noqa: E402
from weshop.members import console as members_console  # noqa: E402
from weshop.orders import console as orders_console  # noqa: E402
from weshop.payments import console as payments_console  # noqa: E402
from weshop.promotions import console as promotions_console  # noqa: E402

routers += [
    orders_console.router,
    payments_console.router,
    promotions_console.router,
    members_console.router,
    logistics_console.router,
    ledger_console.router,
]

# Part A: sign-in and store choice, dashboard, products, stock, settings and staff.
from weshop.accounts import console as accounts_console  # noqa: E402
from weshop.analytics import console as analytics_console  # noqa: E402
from weshop.catalog import console as catalog_console  # noqa: E402
from weshop.catalog import console_skus as catalog_console_skus  # noqa: E402
from weshop.catalog import console_stock as catalog_console_stock  # noqa: E402
from weshop.stores import console as stores_console  # noqa: E402

routers += [
    accounts_console.router,
    analytics_console.router,
    catalog_console.router,
    catalog_console_skus.router,
    catalog_console_stock.router,
    stores_console.home,
    stores_console.router,
]
