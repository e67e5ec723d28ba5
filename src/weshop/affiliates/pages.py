"""What the console pages of the alliance pool show beside the API's answers: SKUs by name,
promoters by their share codes, stores by name, and each order line's attribution with its
explanation ready to translate. Read-only: the forms write through listings.py and
promoters.py, as the API does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates import views
from weshop.affiliates.decisions import order_attributions
from weshop.affiliates.schemas import LineAttributionOut, ListingOut, PlanOut
from weshop.catalog.models import Sku
from weshop.stores import service as stores

_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class PlanNames:
    """What a plan's ids stand for: SKUs (their specs), promoters (their codes), stores."""

    skus: dict[int, str]
    codes: dict[int, str]
    stores: dict[int, str]


def sku_label(sku: Sku) -> str:
    return sku.spec_text or sku.sku_code


async def product_skus(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, list[Sku]]:
    return await repo.skus_of_products(session, product_ids)


async def plan_names(
    session: AsyncSession, listings: Sequence[ListingOut], plans: Sequence[PlanOut] = ()
) -> PlanNames:
    skus = await repo.skus_of_products(session, sorted({row.product_id for row in listings}))
    promoter_ids = {pid for plan in (*listings, *plans) for pid in plan.promoter_ids}
    store_ids = {row.store_id for row in listings}
    return PlanNames(
        skus={sku.id: sku_label(sku) for rows in skus.values() for sku in rows},
        codes=await repo.promoter_codes(session, sorted(promoter_ids)),
        stores={
            store.id: store.name
            for store in await stores.all_stores(session)
            if store.id in store_ids
        },
    )


async def promoter_codes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    return await repo.promoter_codes(session, ids)


def codes_in(text: str) -> list[str]:
    """Share codes as typed: separated by spaces, commas or new lines, in any case."""
    return list(dict.fromkeys(code.upper() for code in _CODE_SEPARATORS.split(text) if code))


async def promoters_of_codes(
    session: AsyncSession, codes: Sequence[str]
) -> tuple[list[int], list[str]]:
    """The approved promoters with these codes, and the codes no approved promoter has."""
    found = await repo.approved_promoters_by_code(session, codes)
    return [found[code] for code in codes if code in found], [c for c in codes if c not in found]


@dataclass(frozen=True)
class PanelLine:
    """One order line's attribution on the order page: the API's answer, and its explanation
    as a message id with its fields, for the page to translate."""

    answer: LineAttributionOut
    message: str
    fields: dict[str, str]


async def order_panel(session: AsyncSession, order_id: int, order_no: str) -> list[PanelLine]:
    answer = await views.attribution_answer(session, order_id, order_no)
    rows = {row.order_line_id: row for row in await order_attributions(session, order_id)}
    panel = []
    for line in answer.lines:
        # The promoter the explanation names: the one credited, else the one whose click
        # is the evidence (as in the API's explanation).
        code = line.promoter_code or (line.click.promoter_code if line.click else None)
        message, fields = views.attribution_explained(rows[line.order_line_id], code)
        panel.append(PanelLine(line, message, fields))
    return panel


def percent_text(bps: int | None) -> str:
    """Basis points as people read a rate: ``1250`` -> ``"12.5"`` (per cent)."""
    if bps is None:
        return ""
    whole, rest = divmod(bps, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)
