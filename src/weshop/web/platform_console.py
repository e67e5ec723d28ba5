"""The platform console's page routers (``/platform``), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

from weshop.accounts import platform_console as accounts_platform
from weshop.ledger import platform_console as ledger_platform
from weshop.payments import platform_console as payments_platform
from weshop.promotions import platform_console as promotions_platform
from weshop.stores import platform_console as stores_platform

routers: list[APIRouter] = [
    accounts_platform.router,
    stores_platform.router,
    ledger_platform.router,
    promotions_platform.router,
    payments_platform.router,
]
