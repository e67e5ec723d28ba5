"""What the bulk tools of the products list take and answer: a batch of products, and one
change for all of them (status, price, stock)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.catalog.models import ProductStatus
from weshop.core.ids import RowId
from weshop.core.money import MAX_UNIT_PRICE_FEN
from weshop.inventory.service import MAX_STOCK

# A batch is what a merchant selects on a few pages of the list; one request stays short.
MAX_BATCH = 50
# The SKUs one batch may change (50 products of 600 SKUs would be 30 000 writes).
MAX_BATCH_SKUS = 2000


def _distinct(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError("ids must be distinct")
    return values


ProductIds = Annotated[
    list[RowId],
    Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"Products of the store, each once ({MAX_BATCH} at most). One id of "
        "another store (or none) answers 404 and changes nothing.",
    ),
    AfterValidator(_distinct),
]


class BulkStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_ids: ProductIds
    action: Literal["publish", "unpublish"] = Field(
        description="`publish` puts each product on sale, `unpublish` takes it off sale; a "
        "product already there is left as it is."
    )


class SetPrice(BaseModel):
    """Every SKU gets this price."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["set"]
    price_fen: StrictInt = Field(ge=1, le=MAX_UNIT_PRICE_FEN, description="The new price in fen.")


class AddToPrice(BaseModel):
    """Every SKU's price moves by this many fen (negative lowers it)."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["add"]
    amount_fen: StrictInt = Field(ge=-MAX_UNIT_PRICE_FEN, le=MAX_UNIT_PRICE_FEN)


class ScalePrice(BaseModel):
    """Every SKU's price moves by this percentage, rounded half up to the fen (-10: 10 %
    off, 打九折)."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["percent"]
    percent: StrictInt = Field(ge=-99, le=1000)


PriceChange = Annotated[SetPrice | AddToPrice | ScalePrice, Field(discriminator="mode")]


class BulkPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_ids: ProductIds
    change: PriceChange


class SetStock(BaseModel):
    """Every SKU's available stock becomes this number, counted at the moment of the change
    (under the stock row's lock): sales before it are counted, sales after it come off it."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["set"]
    quantity: StrictInt = Field(ge=0, le=MAX_STOCK)


class AddStock(BaseModel):
    """Every SKU's available stock moves by this many units (negative takes units away)."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["add"]
    quantity: StrictInt = Field(ge=-MAX_STOCK, le=MAX_STOCK)


StockChange = Annotated[SetStock | AddStock, Field(discriminator="mode")]


class BulkStockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_ids: ProductIds
    change: StockChange
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(description="Why, recorded on each stock movement: a delivery, a stock-take...")
    warehouse_id: RowId | None = Field(
        default=None,
        description="A store with warehouses: the warehouse the units go into or out of "
        "(default: its default warehouse).",
    )


class BulkSkuOut(BaseModel):
    id: int
    spec_text: str
    price_fen: int
    available: int


class BulkProductOut(BaseModel):
    id: int
    title: str
    status: ProductStatus
    price_from_fen: int
    skus: list[BulkSkuOut]


class BulkResultOut(BaseModel):
    """The products of the batch as they are after the change."""

    changed_skus: int = Field(description="SKUs whose price or stock the batch changed.")
    products: list[BulkProductOut]
