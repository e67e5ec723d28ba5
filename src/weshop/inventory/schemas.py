from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.core.ids import RowId
from weshop.core.regions import PROVINCES
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
    warehouse_id: RowId | None = Field(
        default=None,
        description="The warehouse the units go into or out of (a store with warehouses; "
        "default: its default warehouse). A deactivated warehouse takes no units (409 "
        "`warehouse_inactive`).",
    )


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
    available_after: int = Field(description="The SKU's total available after the change.")
    warehouse_id: int | None = Field(description="None in a store without warehouses.")
    reason: str
    actor_id: int | None = Field(description="The staff member, for receive and adjust.")
    order_id: int | None
    created_at: datetime


ShortText = StringConstraints(strip_whitespace=True, min_length=1, max_length=30)
WarehouseName = Annotated[str, ShortText]
City = Annotated[str, ShortText]
# Checked against the fixed list by the service, which answers 422 `unknown_province`.
Province = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
    Field(description="Full official name, e.g. 浙江省, 北京市."),
]
Regions = Annotated[
    list[Province],
    Field(
        max_length=len(PROVINCES),
        description="The provinces this warehouse serves first: an order shipping to one of "
        "them is allocated here before a warehouse merely in the same province.",
    ),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class WarehouseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: WarehouseName
    province: Province
    city: City
    address: Address = ""
    regions: Regions = []


class WarehousePatch(BaseModel):
    """Only what is given changes; null counts as not given."""

    model_config = ConfigDict(extra="forbid")
    name: WarehouseName | None = None
    province: Province | None = None
    city: City | None = None
    address: Address | None = None
    regions: Regions | None = None
    is_active: bool | None = Field(
        default=None,
        description="false deactivates: no new goods, no new orders. Only an empty, "
        "non-default warehouse (409 `warehouse_not_empty`, `default_warehouse`).",
    )


class WarehouseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    province: str
    city: str
    address: str
    regions: list[str]
    is_active: bool
    is_default: bool = Field(
        description="The store's first warehouse: it holds the stock the store had before, "
        "and takes movements and campaign stock that name no warehouse."
    )
    created_at: datetime


class WarehouseStockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sku_id: int
    warehouse_id: int
    available: int = Field(description="May be sold now from this warehouse.")
    reserved: int = Field(description="Held here for unpaid orders.")


class WarehouseStockPage(BaseModel):
    items: list[WarehouseStockOut]
    next_after_sku_id: int | None = Field(
        description="Pass as `after_sku_id` for the next page; null on the last page."
    )
