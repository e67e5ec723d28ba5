"""Request and answer bodies of reviews. Shapes and bounds are checked here; the rules (only
the buyer, only completed orders, once per line, the follow-up window) live in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.core.ids import RowId
from weshop.reviews.models import ReportStatus, ReviewStatus

MAX_PHOTOS = 9
MAX_TEXT = 500

Stars = Annotated[StrictInt, Field(ge=1, le=5, description="1 to 5 stars.")]
ReviewText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PhotoIds = Annotated[
    list[RowId],
    Field(
        max_length=MAX_PHOTOS,
        description="Up to 9 images uploaded for this order (`POST /api/v1/me/orders/{id}/"
        "review-photos`).",
    ),
]


class LineReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_line_id: RowId
    stars: Stars = Field(description="The product as described, 1 to 5.")
    text: ReviewText = ""
    photo_ids: PhotoIds = Field(default_factory=list)
    anonymous: bool = Field(default=False, description="Shown as 匿名用户 with a masked name.")


class OrderReviewIn(BaseModel):
    """Reviews of some of an order's lines. The order's service and logistics stars are given
    with its first reviews, once."""

    model_config = ConfigDict(extra="forbid")
    service_stars: Stars | None = None
    logistics_stars: Stars | None = None
    lines: list[LineReviewIn] = Field(min_length=1, max_length=100)


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
    ]
    photo_ids: PhotoIds = Field(default_factory=list)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
    ]
    to: Literal["review", "follow_up"] = Field(
        default="review", description="Answer the review, or its follow-up (each once)."
    )


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = Field(description="Kept with the report (and on a hidden review).")


class PhotoOut(BaseModel):
    id: int
    url: str


class FollowUpOut(BaseModel):
    text: str
    photos: list[PhotoOut]
    created_at: datetime
    reply: str | None


class ReviewOut(BaseModel):
    """A review as the public sees it."""

    id: int
    product_id: int
    stars: int
    text: str
    photos: list[PhotoOut]
    author: str = Field(description="The nickname; masked (张**) when `anonymous`.")
    anonymous: bool
    created_at: datetime
    reply: str | None = Field(description="The store's public reply.")
    follow_up: FollowUpOut | None


class StoreReviewOut(ReviewOut):
    """A review as the store's staff and the platform see it."""

    store_id: int
    order_id: int
    order_line_id: int
    status: ReviewStatus
    flagged: bool = Field(description="Screening starred an abusive term.")
    hidden_reason: str


class ProductRatingOut(BaseModel):
    count: int
    average: float | None = Field(description="Average stars, two decimals; null: no review.")
    positive_percent: int | None = Field(description="Reviews of 4 or 5 stars, in percent.")


class ProductReviewsOut(BaseModel):
    rating: ProductRatingOut
    items: list[ReviewOut] = Field(description="Reviews with photos first, then newest first.")
    next_cursor: str | None = None


class ScoreOut(BaseModel):
    score: float | None = Field(description="Average of the last 90 days, two decimals.")
    previous: float | None = Field(description="Average of the 90 days before those.")
    change: float | None = Field(description="`score` − `previous`; null when either is.")
    count: int = Field(description="Reviews (or rated orders) in the last 90 days.")


class StoreScoresOut(BaseModel):
    """The store's DSR: rolling 90-day averages of shown reviews (description) and of the
    orders' service and logistics stars."""

    store_id: int
    window_days: int
    description: ScoreOut
    service: ScoreOut
    logistics: ScoreOut


class LineToReviewOut(BaseModel):
    order_id: int
    order_no: str
    order_line_id: int
    product_id: int
    title: str
    spec_text: str
    completed_at: datetime | None


class ReportOut(BaseModel):
    id: int
    review_id: int
    store_id: int
    reason: str
    by_screening: bool = Field(description="Filed by the screening (abusive words), not staff.")
    status: ReportStatus
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None
    review: StoreReviewOut
