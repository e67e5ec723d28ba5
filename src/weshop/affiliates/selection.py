"""Product-selection help ("best for you"): the promoter's pool ranked by what one visit is
expected to earn them, leaning towards the categories they have sold before.

- Expected earnings per visit = conversion × commission per unit (of the default SKU).
- Conversion is smoothed with a Beta prior centred on the pool's rate: a product with ``v``
  visits and ``o`` attributed paid orders in the last 30 days is estimated at
  ``(o + k·p) / (v + k)``, where ``p`` is the rate of all the candidates together and
  ``k = PRIOR_VISITS``. A new product (no visits) gets ``p`` itself; its own figures take
  over as its visits grow past ``k``. Orders beyond a product's visits (a shopper bound
  through another product's click) count up to its visits, so that no rate exceeds 100 %.
  With no visits anywhere in the pool, ``p`` is ``DEFAULT_POOL_CONVERSION``.
- Fit: ``s`` is the share of the units the promoter brought (attributed, paid) whose
  product's category bears this product's category name; the score is the expected
  earnings per visit × ``(1 + FIT_WEIGHT·s)``: a category all their sales came from
  counts double.

Everything is exact (fractions of a fen); rounding happens only when the answer is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import pool
from weshop.affiliates import repository as repo
from weshop.affiliates.models import Promoter
from weshop.affiliates.pool import PoolItem

PRIOR_VISITS = 20
DEFAULT_POOL_CONVERSION = Fraction(1, 50)  # 2 %: a typical share-link conversion
FIT_WEIGHT = 1
# The newest pool listings ranked per request: the answer stays cheap however big the pool.
CANDIDATES = 200


@dataclass(frozen=True)
class Recommendation:
    item: PoolItem
    conversion: Fraction
    # Fewer visits than the prior weighs: the estimate is mostly the pool's rate.
    mostly_prior: bool
    expected_fen_per_visit: Fraction
    category_name: str | None
    category_sales: int
    score: Fraction


def pool_conversion(items: list[PoolItem]) -> Fraction:
    """The prior's mean: attributed paid orders per visit over all the candidates."""
    visits = sum(item.figures.visits for item in items)
    if visits == 0:
        return DEFAULT_POOL_CONVERSION
    orders = sum(min(item.figures.attributed_orders, item.figures.visits) for item in items)
    return Fraction(orders, visits)


def smoothed_conversion(orders: int, visits: int, prior: Fraction) -> Fraction:
    return (min(orders, visits) + PRIOR_VISITS * prior) / (visits + PRIOR_VISITS)


def rank(
    items: list[PoolItem],
    categories: dict[int, str],
    sold_by_category: dict[str, int],
) -> list[Recommendation]:
    """The items best first (ties: newest listing first). ``categories``: category names by
    id; ``sold_by_category``: the promoter's paid attributed units by category name."""
    prior = pool_conversion(items)
    sold_in_all = sum(sold_by_category.values())
    found = []
    for item in items:
        conversion = smoothed_conversion(item.figures.attributed_orders, item.figures.visits, prior)
        expected = conversion * item.commission_per_unit_fen
        name = categories.get(item.product.category_id or 0)
        sold = sold_by_category.get(name, 0) if name is not None else 0
        fit = Fraction(sold, sold_in_all) if sold_in_all else Fraction(0)
        found.append(
            Recommendation(
                item=item,
                conversion=conversion,
                mostly_prior=item.figures.visits < PRIOR_VISITS,
                expected_fen_per_visit=expected,
                category_name=name,
                category_sales=sold,
                score=expected * (1 + FIT_WEIGHT * fit),
            )
        )
    found.sort(key=lambda row: (-row.score, -row.item.listing.id))
    return found


@dataclass(frozen=True)
class Ranking:
    ranked: list[Recommendation]
    pool_conversion: Fraction


async def recommended(
    session: AsyncSession, promoter: Promoter, now: datetime, limit: int
) -> Ranking:
    """The ``limit`` best of the newest ``CANDIDATES`` listings in the promoter's pool, and
    the prior's mean they were ranked with."""
    listings = (await pool.pool_page(session, promoter, now, None, CANDIDATES))[:CANDIDATES]
    items = await pool.pool_items(session, listings, now)
    categories = await repo.category_names(
        session, [item.product.category_id for item in items if item.product.category_id]
    )
    sold = await repo.sold_units_by_category_name(session, promoter.id)
    return Ranking(rank(items, categories, sold)[:limit], pool_conversion(items))
