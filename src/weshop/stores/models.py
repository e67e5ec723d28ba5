from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin, enum_column


class StoreStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(enum.StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    FINANCE = "finance"
    CUSTOMER_SERVICE = "customer_service"


class StaffStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    REMOVED = "removed"


class Store(TimestampMixin, Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    logo_url: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[StoreStatus] = mapped_column(
        enum_column(StoreStatus, 16), default=StoreStatus.ACTIVE
    )
    payment_window_minutes: Mapped[int] = mapped_column(default=30)
    auto_confirm_days: Mapped[int] = mapped_column(default=10)
    # Once every package is delivered, receipt is confirmed this many days later (if sooner).
    auto_confirm_after_delivery_days: Mapped[int] = mapped_column(default=3)
    aftersales_days: Mapped[int] = mapped_column(default=7)


class StaffMember(TimestampMixin, Base):
    __tablename__ = "staff_members"
    __table_args__ = (UniqueConstraint("store_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 24))
    status: Mapped[StaffStatus] = mapped_column(
        enum_column(StaffStatus, 16), default=StaffStatus.INVITED
    )
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
