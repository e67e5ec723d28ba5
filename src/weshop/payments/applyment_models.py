"""Where a store's sub-merchant application (进件) stands, as the worker last heard it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.db import Base, TimestampMixin


class ApplymentProgress(TimestampMixin, Base):
    """What WeChat Pay last said of the store's application: the state's description, the
    agreement's signing link (NEED_SIGN), the rejection's reason; when it was submitted and
    finished, and how many times the worker asked. The personal data of the form (ID card,
    bank account) is sent to WeChat Pay encrypted and never kept here."""

    __tablename__ = "applyment_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), unique=True)
    state_desc: Mapped[str] = mapped_column(String(64), default="")
    sign_url: Mapped[str] = mapped_column(String(500), default="")
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    polls: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
