from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CampaignKind(enum.StrEnum):
    """The social campaign an order was placed in (None on an order: an ordinary one). The
    value is also the pricing core's channel and ``CampaignPrice.kind``."""

    GROUP = "group"
    BARGAIN = "bargain"
    FLASH = "flash"


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_store_list", "store_id", "status", "created_at"),
        Index("ix_orders_user_list", "user_id", "created_at"),
        Index("ix_orders_campaign", "campaign_kind", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    checkout_no: Mapped[str] = mapped_column(String(32), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, 24), default=OrderStatus.PENDING_PAYMENT
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal_fen: Mapped[int]
    discount_fen: Mapped[int] = mapped_column(default=0)
    shipping_fen: Mapped[int] = mapped_column(default=0)
    payable_fen: Mapped[int]
    paid_fen: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    # The Quote the shopper saw, frozen at placement.
    price_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    ship_recipient: Mapped[str] = mapped_column(EncryptedString("orders.ship_recipient"))
    ship_phone: Mapped[str] = mapped_column(EncryptedString("orders.ship_phone"))
    ship_phone_index: Mapped[str] = mapped_column(String(64), index=True)
    # Regions in clear, by decision (README, "Personal data"): see accounts.models.Address.
    ship_province: Mapped[str] = mapped_column(String(20))
    ship_city: Mapped[str] = mapped_column(String(30))
    ship_district: Mapped[str] = mapped_column(String(30), default="")
    ship_detail: Mapped[str] = mapped_column(EncryptedString("orders.ship_detail"))
    ship_postal_code: Mapped[str] = mapped_column(String(10), default="")
    buyer_note: Mapped[str] = mapped_column(EncryptedString("orders.buyer_note"), default="")
    pay_deadline: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    auto_confirm_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Free text the shopper or staff typed: encrypted like the note.
    cancel_reason: Mapped[str] = mapped_column(EncryptedString("orders.cancel_reason"), default="")
    # A campaign order: its kind, the campaign's row and the entry (group, bargain, flash
    # attempt) in the campaign's domain, which orders knows only by id.
    campaign_kind: Mapped[CampaignKind | None] = mapped_column(enum_column(CampaignKind, 16))
    campaign_id: Mapped[int | None]
    campaign_entry_id: Mapped[int | None]
    # Paid but not to be shipped yet (a group that has not filled); its campaign releases it.
    shipping_held: Mapped[bool] = mapped_column(default=False)


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    title: Mapped[str] = mapped_column(String(60))
    spec_text: Mapped[str] = mapped_column(String(300), default="")
    sku_code: Mapped[str] = mapped_column(String(64), default="")
    unit_price_fen: Mapped[int]
    quantity: Mapped[int]
    subtotal_fen: Mapped[int]
    discount_fen: Mapped[int] = mapped_column(default=0)
    # The part of the discount the platform funded (its coupons), fixed at checkout: the
    # platform owes it to the store once the order is paid.
    platform_funded_fen: Mapped[int] = mapped_column(default=0)
    payable_fen: Mapped[int]
    shipped_quantity: Mapped[int] = mapped_column(default=0)
    # Units refunded before they shipped (after-sales): back in stock, never to ship.
    refunded_quantity: Mapped[int] = mapped_column(default=0)

    @property
    def left_to_ship(self) -> int:
        return self.quantity - self.shipped_quantity - self.refunded_quantity


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_no: Mapped[str] = mapped_column(String(40))
    # [{"order_line_id": 1, "quantity": 2}, ...]
    items: Mapped[list[dict[str, int]]] = mapped_column(JSON)
    shipped_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderEvent(Base):
    """The order's history: every transition with who caused it and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(40))
    # Carries the cancel reason as typed.
    note: Mapped[str] = mapped_column(EncryptedString("order_events.note"), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderPickup(Base):
    """How a self-pickup order (自提) is collected: the point (its name, address and hours as
    the shopper chose them), the contact who collects it (personal data: encrypted, found by
    blind index), and the pickup code issued when the order is paid. The code is kept
    encrypted for the shopper to see and found by staff through its keyed blind index, unique
    per store; ``picked_up_at`` is set once, by the verification that completes the order."""

    __tablename__ = "order_pickups"
    __table_args__ = (UniqueConstraint("store_id", "code_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    point_name: Mapped[str] = mapped_column(String(30))
    point_address: Mapped[str] = mapped_column(String(220))
    point_opening_hours: Mapped[str] = mapped_column(String(60))
    point_phone: Mapped[str] = mapped_column(String(20))
    contact_name: Mapped[str] = mapped_column(EncryptedString("order_pickups.contact_name"))
    contact_phone: Mapped[str] = mapped_column(EncryptedString("order_pickups.contact_phone"))
    contact_phone_index: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str | None] = mapped_column(EncryptedString("order_pickups.code"))
    code_index: Mapped[str | None] = mapped_column(String(64))
    picked_up_at: Mapped[datetime | None]
    picked_up_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
