from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from weshop.core.ids import RowId
from weshop.core.money import Quantity

Problem = Literal["unpublished", "out_of_stock", "not_enough_stock", "sku_inactive"]


class CartItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku_id: RowId
    quantity: Quantity = Field(description="Added to the line of this SKU if there is one.")


class CartQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Quantity


class CartItemOut(BaseModel):
    id: int
    sku_id: int
    product_id: int
    title: str
    spec_text: str
    image_url: str | None
    unit_price_fen: int = Field(description="Today's price; checkout prices again.")
    quantity: int
    available: int
    line_total_fen: int
    purchasable: bool
    problem: Problem | None = Field(description="Why the line cannot be bought now, if so.")


class CartStoreOut(BaseModel):
    id: int
    name: str


class CartGroup(BaseModel):
    store: CartStoreOut
    items: list[CartItemOut]
    subtotal_fen: int = Field(description="Sum of the purchasable lines.")


class CartOut(BaseModel):
    groups: list[CartGroup] = Field(description="One group per store, most recent first.")
    total_fen: int = Field(description="Sum of the purchasable lines of every store.")
    count: int = Field(description="Number of lines in the cart.")
