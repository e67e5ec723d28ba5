"""Reviews (评价) of completed orders, the order's service and logistics stars, and the reports
staff make to the platform.

A review belongs to one order line (unique on ``order_line_id``); its follow-up (追评) and the
staff replies are columns of the same row, each written once by a conditional UPDATE
(``WHERE followup_at IS NULL`` / ``WHERE reply_at IS NULL``), so two concurrent writes leave one.
The text kept is the screened text (:mod:`weshop.reviews.screening`): phone and ID numbers
masked, abusive words starred. Nothing is ever deleted: the platform may hide a review, with
its reason kept.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from weshop.core.clock import utcnow
from weshop.core.db import Base, enum_column


class ReviewStatus(enum.StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # hidden by the platform after a report; kept, with the reason


class ReportStatus(enum.StrEnum):
    OPEN = "open"  # waits for the platform
    UPHELD = "upheld"  # the platform hid the review
    DISMISSED = "dismissed"  # the platform kept the review visible


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_product_listing", "product_id", "status", "has_photos", "created_at"),
        # Covers the DSR's aggregate: the window, the status and the stars, no table reads.
        Index("ix_reviews_store_created", "store_id", "created_at", "status", "stars"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stars: Mapped[int]  # the product as described, 1-5
    text: Mapped[str] = mapped_column(String(500), default="")
    photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    has_photos: Mapped[bool] = mapped_column(default=False)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Screening found an abusive word: shown starred, and listed for the platform.
    flagged: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column(ReviewStatus, 16), default=ReviewStatus.VISIBLE
    )
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")
    followup_text: Mapped[str | None] = mapped_column(String(500))
    followup_photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    followup_at: Mapped[datetime | None]
    reply_text: Mapped[str | None] = mapped_column(String(500))
    reply_at: Mapped[datetime | None]
    reply_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    followup_reply_text: Mapped[str | None] = mapped_column(String(500))
    followup_reply_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderRating(Base):
    """The shopper's stars for the store's service and its logistics, once per order."""

    __tablename__ = "order_ratings"
    # Covers the DSR's aggregate, as the reviews' index does.
    __table_args__ = (
        Index(
            "ix_order_ratings_store_created",
            "store_id",
            "created_at",
            "service_stars",
            "logistics_stars",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    service_stars: Mapped[int]
    logistics_stars: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewReport(Base):
    """Staff (or the screening) asking the platform to look at a review; staff never delete
    one."""

    __tablename__ = "review_reports"
    __table_args__ = (Index("ix_review_reports_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    reason: Mapped[str] = mapped_column(String(200))
    # None: screening starred an abusive word and put the review before the platform itself.
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, 16), default=ReportStatus.OPEN
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
