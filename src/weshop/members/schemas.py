from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

from weshop.members.models import PointsKind

MAX_GROWTH = 10**12
MAX_ADJUSTMENT = 10_000_000

LevelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Threshold = Annotated[
    StrictInt,
    Field(ge=0, le=MAX_GROWTH, description="Growth value that reaches the level; 0: the base."),
]
PayPercent = Annotated[
    StrictInt, Field(ge=1, le=100, description="Share of the price a member pays: 95 is 5% off.")
]


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: LevelName
    growth_threshold: Threshold
    pay_percent: PayPercent = 100


class LevelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: LevelName | None = None
    growth_threshold: Threshold | None = None
    pay_percent: PayPercent | None = None


class LevelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    growth_threshold: int
    pay_percent: int


class RulesIn(BaseModel):
    """A store's member rules, replaced as a whole; a field left out takes its default."""

    model_config = ConfigDict(extra="forbid")
    growth_per_yuan: StrictInt = Field(
        default=1, ge=0, le=1000, description="Growth per yuan paid, on completion."
    )
    points_per_yuan: StrictInt = Field(
        default=1, ge=0, le=1000, description="Points per yuan paid, on completion."
    )
    fen_per_point: StrictInt = Field(
        default=1, ge=1, le=10_000, description="What one point is worth when spent, in fen."
    )
    max_share_percent: StrictInt = Field(
        default=50,
        ge=0,
        le=100,
        description="Points may pay at most this share of an order's goods payable.",
    )
    points_expire_days: StrictInt | None = Field(
        default=365,
        ge=1,
        le=3650,
        description="Points lapse this many days after they are earned; null: never.",
    )


class RulesOut(RulesIn):
    model_config = ConfigDict(from_attributes=True)


class LevelBrief(BaseModel):
    id: int
    name: str
    pay_percent: int


class NextLevelOut(BaseModel):
    id: int
    name: str
    growth_threshold: int
    growth_needed: int = Field(description="Growth still to earn to reach it.")


class MyMembershipOut(BaseModel):
    store_id: int
    store_name: str
    level: LevelBrief | None
    growth_value: int
    next_level: NextLevelOut | None = Field(description="Null at the top level.")
    points_balance: int = Field(description="Points that can be spent now.")
    points_value_fen: int = Field(description="What the balance is worth at this store.")
    joined_at: datetime


class PointsEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: PointsKind
    delta: int = Field(
        description="Positive: earned, refunded or granted; negative: spent, expired or taken."
    )
    growth_delta: int
    reason: str
    order_id: int | None
    refund_id: int | None = Field(
        description="The refund whose success returned spent points or took earned ones back."
    )
    owed_delta: int = Field(
        description="Points a refund's claw-back could not take and left owed (positive), or "
        "that an earning paid off (negative)."
    )
    expires_at: datetime | None
    remaining: int = Field(description="For a credit: what is left unspent and unexpired.")
    created_at: datetime


class MemberOut(BaseModel):
    user_id: int
    phone: str | None = Field(description="Masked, e.g. 138****0000; null without a phone.")
    display_name: str
    level: LevelBrief | None
    growth_value: int
    points_balance: int
    points_owed: int = Field(description="Points refunds left owed; later earnings pay them.")
    joined_at: datetime


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: StrictInt = Field(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        description="Points to grant (positive) or take (negative, never below zero).",
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be zero")
        return value


class AdjustmentOut(BaseModel):
    entry: PointsEntryOut
    points_balance: int
