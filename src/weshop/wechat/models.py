"""WeChat's side of a shopper and of the installation: identities, cached credentials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, EncryptedString, TimestampMixin


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
