"""The pricing core: ``price(lines, context) -> Quote``. Pure: no I/O, no clock, no database.

Order of application (later issues add steps; each is a named adjustment on a line):
item price -> full reduction -> coupons -> points -> shipping. Today only the item price
applies; every total is still built line by line so that each fen is explained.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from weshop.core.money import CURRENCY


class PricingLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku_id: int
    product_id: int
    title: str
    spec_text: str = ""
    unit_price_fen: int = Field(ge=0)
    quantity: int = Field(gt=0)


class PricingContext(BaseModel):
    model_config = ConfigDict(frozen=True)
    store_id: int
    channel: str = "store"


class Adjustment(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    source_id: str | None = None
    label: str
    amount_fen: int = Field(description="Negative for a discount, positive for a charge.")
    funded_by: str = "merchant"


class QuoteLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku_id: int
    product_id: int
    title: str
    spec_text: str
    unit_price_fen: int
    quantity: int
    subtotal_fen: int
    adjustments: tuple[Adjustment, ...] = ()
    payable_fen: int


class Quote(BaseModel):
    model_config = ConfigDict(frozen=True)
    currency: str = CURRENCY
    lines: tuple[QuoteLine, ...]
    subtotal_fen: int
    discount_fen: int
    shipping_fen: int
    payable_fen: int


def price(lines: Sequence[PricingLine], context: PricingContext) -> Quote:
    """Price the lines of one store's order."""
    quoted = []
    for line in lines:
        subtotal = line.unit_price_fen * line.quantity
        quoted.append(
            QuoteLine(
                sku_id=line.sku_id,
                product_id=line.product_id,
                title=line.title,
                spec_text=line.spec_text,
                unit_price_fen=line.unit_price_fen,
                quantity=line.quantity,
                subtotal_fen=subtotal,
                payable_fen=subtotal,
            )
        )
    subtotal = sum(line.subtotal_fen for line in quoted)
    discount = -sum(a.amount_fen for line in quoted for a in line.adjustments)
    shipping = 0
    return Quote(
        lines=tuple(quoted),
        subtotal_fen=subtotal,
        discount_fen=discount,
        shipping_fen=shipping,
        payable_fen=sum(line.payable_fen for line in quoted) + shipping,
    )
