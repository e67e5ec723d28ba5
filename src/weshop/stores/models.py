from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column


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


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class StoreApplication(TimestampMixin, Base):
    """Someone's application to open a store, reviewed by the platform. Approval opens the
    store (``store_id``) with the applicant as its owner; a rejection says why and may be
    fixed and submitted again."""

    __tablename__ = "store_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The applicant's id while the application waits for review, NULL otherwise: the unique
    # constraint keeps one open application per person even under concurrent submissions.
    open_for_user: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    store_name: Mapped[str] = mapped_column(String(40))
    main_category: Mapped[str] = mapped_column(String(24))
    contact_name: Mapped[str] = mapped_column(EncryptedString("store_applications.contact_name"))
    contact_phone: Mapped[str] = mapped_column(EncryptedString("store_applications.contact_phone"))
    contact_phone_index: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, 16), default=ApplicationStatus.SUBMITTED
    )
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    submitted_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), unique=True)


class StoreApplicationImage(Base):
    """A business licence image of an application. Kept in the database, not under the
    public ``/media`` mount: only the applicant and platform operators may see it."""

    __tablename__ = "store_application_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("store_applications.id"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(24))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
