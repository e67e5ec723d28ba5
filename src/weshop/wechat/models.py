"""WeChat's tables."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, enum_column

# Messages: one-time subscriptions, and the log of what was sent (wechat.subscriptions,
# wechat.messages, wechat.staff_messages).


class SubscribeResult(enum.StrEnum):
    """What WeChat reports for one template a shopper was asked about."""

    ACCEPT = "accept"
    REJECT = "reject"
    BAN = "ban"  # the template was banned by WeChat
    FILTER = "filter"  # WeChat filtered it (a template of the same title)


class SubscriptionConsent(Base):
    """A shopper's one-time subscriptions to one template of one app: every ``accept``
    WeChat reported allows one message; sending one takes one (a conditional UPDATE)."""

    __tablename__ = "wechat_subscription_consents"
    __table_args__ = (UniqueConstraint("user_id", "appid", "template_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appid: Mapped[str] = mapped_column(String(32))
    template_id: Mapped[str] = mapped_column(String(64))
    remaining: Mapped[int] = mapped_column(default=0)
    last_result: Mapped[SubscribeResult] = mapped_column(enum_column(SubscribeResult, 8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageChannel(enum.StrEnum):
    SUBSCRIPTION = "subscription"  # a shopper's subscription message
    STAFF = "staff"  # an official-account template message to a store's staff


class MessageStatus(enum.StrEnum):
    SENT = "sent"
    NO_CONSENT = "no_consent"  # WeShop held no subscription left: not sent
    REFUSED = "refused"  # WeChat refused the recipient: 43101 no consent, 43004 not following
    FAILED = "failed"  # WeChat refused the message (47003 bad data, ...) or never answered


class WechatMessage(Base):
    """One message WeShop sent, or decided not to send, and what WeChat answered."""

    __tablename__ = "wechat_messages"
    __table_args__ = (Index("ix_wechat_messages_store", "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel, 16))
    event: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(EncryptedString("wechat_messages.openid"))
    template_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, 16))
    errcode: Mapped[int | None]
    errmsg: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMessagePreference(Base):
    """A staff member turned a kind of staff message off (or on again) for a store; no row:
    on."""

    __tablename__ = "wechat_staff_message_preferences"
    __table_args__ = (UniqueConstraint("store_id", "user_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool]
