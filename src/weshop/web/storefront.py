"""The storefront's page routers (mobile H5), gathered for the app."""

from __future__ import annotations

from fastapi import APIRouter

from weshop.accounts import web as accounts_web
from weshop.cart import web as cart_web
from weshop.catalog import web as catalog_web
from weshop.members import web as members_web
from weshop.orders import web as orders_web
from weshop.payments import web as payments_web
from weshop.promotions import web as promotions_web

routers: list[APIRouter] = [
    catalog_web.router,
    accounts_web.router,
    cart_web.router,
    orders_web.router,
    payments_web.router,
    promotions_web.router,
    members_web.router,
]
