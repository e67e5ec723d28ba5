from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.inventory.models import MovementKind
from weshop.inventory.service import MAX_STOCK


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["receive", "adjust"] = Field(
        description="`receive`: goods arrived (quantity > 0); `adjust`: a count correction "
        "(quantity may be negative, never 0)."
    )
    quantity: StrictInt = Field(ge=-MAX_STOCK, le=MAX_STOCK)
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(description="Why: a delivery note, a stock-take...")


class ThresholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: StrictInt = Field(
        ge=0, le=MAX_STOCK, description="The SKU counts as low when available <= threshold."
    )


class StockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sku_id: int
    available: int = Field(description="May be sold now.")
    reserved: int = Field(description="Held for unpaid orders.")
    low_stock_threshold: int
    updated_at: datetime


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sku_id: int
    kind: MovementKind
    available_delta: int
    reserved_delta: int
    available_after: int
    reason: str
    actor_id: int | None = Field(description="The staff member, for receive and adjust.")
    order_id: int | None
    created_at: datetime
