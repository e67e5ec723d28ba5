"""What the console pages of the alliance pool show beside the API's answers: SKUs by name,
promoters by their share codes, stores by name, and each order line's attribution with the
promoter and plan version it names. Read-only: the forms write through listings.py and
promoters.py, as the API does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.decisions import order_attributions
from weshop.affiliates.models import LineAttribution
from weshop.affiliates.schemas import ListingOut, PlanOut
from weshop.catalog.models import Sku
from weshop.stores import service as stores

_CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class PlanNames:
    """What a plan's ids stand for: SKUs (their specs), promoters (their codes), stores."""

    skus: dict[int, str]
    codes: dict[int, str | None]
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


async def promoter_codes(session: AsyncSession, ids: Sequence[int]) -> dict[int, str | None]:
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


def N_(message: str) -> str:
    return message


# Each rule and each reason of affiliates.attribution, in the words the order page shows.
DECISION_WORDS = {
    "bound": N_("The shopper was bound to this promoter by a click within the binding window."),
    "last_click": N_("The last click within the window wins: this plan lets the last click steal."),
    "self_purchase": N_("A self-purchase through the promoter's own link: this plan pays it."),
    "no_click": N_("No promoter's click on this store before the order."),
    "window_lapsed": N_("A promoter's binding had lapsed when the order was placed."),
    "not_in_pool": N_("The product was not in the alliance pool when the order was placed."),
    "self_purchase_excluded": N_(
        "A self-purchase through the promoter's own link: this plan pays nothing for it."
    ),
}


@dataclass(frozen=True)
class LineDecision:
    """One order line's attribution as the order page shows it."""

    row: LineAttribution
    promoter_code: str | None
    plan_version: int | None
    rate_plan_version: int | None

    @property
    def explained(self) -> str:
        """The message id of the rule applied or of the reason nothing was attributed."""
        return DECISION_WORDS[self.row.rule or self.row.reason or ""]


async def order_decisions(session: AsyncSession, order_id: int) -> list[LineDecision]:
    rows = await order_attributions(session, order_id)
    codes = await repo.promoter_codes(
        session, sorted({row.promoter_id for row in rows if row.promoter_id is not None})
    )
    plans = await repo.plans_by_id(
        session,
        sorted({pid for row in rows for pid in (row.plan_id, row.rate_plan_id) if pid}),
    )
    return [
        LineDecision(
            row=row,
            promoter_code=codes.get(row.promoter_id) if row.promoter_id else None,
            plan_version=plans[row.plan_id].version if row.plan_id else None,
            rate_plan_version=plans[row.rate_plan_id].version if row.rate_plan_id else None,
        )
        for row in rows
    ]


def percent_text(bps: int | None) -> str:
    """Basis points as people read a rate: ``1250`` -> ``"12.5"`` (per cent)."""
    if bps is None:
        return ""
    whole, rest = divmod(bps, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)
