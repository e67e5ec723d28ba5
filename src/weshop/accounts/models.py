from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an account made by a WeChat sign-in, until the shopper verifies a phone.
    phone: Mapped[str | None] = mapped_column(EncryptedString("users.phone"))
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(EncryptedString("users.display_name"), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when this account was merged into another (its phone's): where it went.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoginCode(Base):
    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Address(TimestampMixin, Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient: Mapped[str] = mapped_column(EncryptedString("addresses.recipient"))
    phone: Mapped[str] = mapped_column(EncryptedString("addresses.phone"))
    # Regions stay in clear, by decision (README, "Personal data"): shipping rules and
    # analytics group by them, and a district names no one; the street line is encrypted.
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str] = mapped_column(String(30), default="")
    detail: Mapped[str] = mapped_column(EncryptedString("addresses.detail"))
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
