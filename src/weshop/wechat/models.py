"""WeChat's side of a shopper and of the installation: identities, cached credentials."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin, enum_column


class WechatCredential(Base):
    """An app's current access token or jsapi ticket (the shared cache, without Redis)."""

    __tablename__ = "wechat_credentials"
    __table_args__ = (UniqueConstraint("appid", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appid: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(EncryptedString("wechat_credentials.value"))
    # Keyed digest of the value: an invalidation names the value it found refused.
    value_digest: Mapped[str | None] = mapped_column(String(64))
    fresh_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]


class WechatAccount(Base):
    """The WeShop account of one WeChat person: keyed by unionid when WeChat gives one (all
    the apps of one open platform share it), otherwise by (appid, openid). The unique key is
    what makes concurrent first sign-ins of one person create one account."""

    __tablename__ = "wechat_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WechatIdentity(TimestampMixin, Base):
    """A shopper as one app knows them: the openid under that appid (and what came with it)."""

    __tablename__ = "wechat_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(EncryptedString("wechat_identities.openid"))
    # Keyed blind index of (appid, openid): one identity per openid of an app.
    openid_index: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(EncryptedString("wechat_identities.unionid"))
    unionid_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # The mini-program's session key (decrypts what wx APIs hand the page); never answered.
    session_key: Mapped[str | None] = mapped_column(
        EncryptedString("wechat_identities.session_key")
    )
    nickname: Mapped[str | None] = mapped_column(EncryptedString("wechat_identities.nickname"))
    avatar_url: Mapped[str] = mapped_column(String(500), default="")


class WechatUsedOnce(Base):
    """An OAuth state or code already used: its digest, kept until it would have expired."""

    __tablename__ = "wechat_used_once"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


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
