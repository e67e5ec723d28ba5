"""Mini-program codes (小程序码) fetched from WeChat, one row per distinct code: the row is
claimed before the code is asked for, so concurrent requests (in any process) ask WeChat
once and the others wait for the file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base


class MiniProgramCode(Base):
    __tablename__ = "wechat_miniprogram_codes"
    __table_args__ = (UniqueConstraint("appid", "page", "scene", "width"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appid: Mapped[str] = mapped_column(String(32))
    page: Mapped[str] = mapped_column(String(128))
    scene: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    # The PNG under the media directory; None while the claimer is asking WeChat.
    path: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
