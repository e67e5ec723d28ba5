"""The shopper's browsing history (足迹) over the API: read, remove one, clear."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from weshop.accounts.auth import CurrentUser
from weshop.catalog.schemas import ProductSummary
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.members import history

router = APIRouter(prefix="/api/v1/me/history", tags=["members"])


class HistoryEntryOut(BaseModel):
    product: ProductSummary
    on_sale: bool = Field(description="False: the product is no longer sold (still listed).")
    viewed_at: datetime = Field(description="The latest view of the product.")


@router.get("", response_model=list[HistoryEntryOut])
async def my_history(user: CurrentUser, session: DbSession):
    """The products the shopper viewed, newest first, one entry per product (its latest
    view), at most 100. Views are recorded in batches: a view shows here within seconds."""
    return [
        HistoryEntryOut(product=e.product, on_sale=e.on_sale, viewed_at=e.viewed_at)
        for e in await history.my_history(session, user.id)
    ]


@router.delete(
    "/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "The product is not in the shopper's history."}},
)
async def forget_product(product_id: PathId, user: CurrentUser, session: DbSession) -> None:
    """Remove one product from the history."""
    await history.forget(session, user.id, product_id)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def clear_history(user: CurrentUser, session: DbSession) -> None:
    """Clear the whole history."""
    await history.clear(session, user.id)
