"""What 批量发货 takes and answers: a batch of the store's orders, each shipped in one
package with its carrier and tracking number."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.core.ids import RowId
from weshop.orders.models import OrderStatus

# What a merchant ships in one go from the list or one CSV file; a request stays short.
MAX_SHIP_BATCH = 100
TRACKING_NO = r"^[A-Za-z0-9\-]{4,40}$"


class BatchShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: RowId
    carrier: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="A carrier's code (`shunfeng`) or name (顺丰速运, 顺丰), or any name.")
    tracking_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=TRACKING_NO)]


class ShipmentBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shipments: list[BatchShipmentIn] = Field(
        min_length=1,
        max_length=MAX_SHIP_BATCH,
        description=f"One package per order ({MAX_SHIP_BATCH} orders at most).",
    )


class BatchShippedOut(BaseModel):
    id: int
    order_no: str
    status: OrderStatus
    carrier: str
    tracking_no: str


class ShipmentBatchOut(BaseModel):
    orders: list[BatchShippedOut]
