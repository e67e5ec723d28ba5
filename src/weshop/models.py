"""Every table, imported in one place for Alembic and for ``create_all`` in tests."""

from weshop.accounts.models import Address, AuthSession, LoginCode, User
from weshop.cart.models import CartItem
from weshop.catalog.models import Category, MediaAsset, Product, Sku
from weshop.core.db import Base
from weshop.core.idempotency import IdempotencyRecord
from weshop.core.outbox import OutboxMessage
from weshop.core.ratelimit import RateCounter
from weshop.inventory.models import StockLevel, StockMovement, StockReservation
from weshop.orders.models import Order, OrderEvent, OrderLine, Shipment
from weshop.payments.models import Payment, PaymentNotification, Refund
from weshop.stores.models import StaffMember, Store

metadata = Base.metadata

__all__ = [
    "Address",
    "AuthSession",
    "CartItem",
    "Category",
    "IdempotencyRecord",
    "LoginCode",
    "MediaAsset",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Payment",
    "PaymentNotification",
    "Product",
    "RateCounter",
    "Refund",
    "Shipment",
    "Sku",
    "StaffMember",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "Store",
    "User",
    "metadata",
]
