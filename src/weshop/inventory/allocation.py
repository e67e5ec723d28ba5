"""Which warehouse ships what: a pure plan from the order's lines and each warehouse's stock.

The rules, in order:
1. One warehouse for the whole order when one has every line: one package, one shipment.
2. Otherwise each line goes whole to one warehouse, preferring a warehouse the order already
   uses; a line is split across warehouses only when no warehouse has all of it.
3. Among equals, the nearest by province: a warehouse whose region (the provinces the store
   says it serves) holds the shipping province, then one in that province, then any; then
   the store's default warehouse, then the oldest.

The plan is made while the order's stock-level rows are locked (see ``service.reserve_stock``),
so the stock it reads is what the conditional UPDATEs then find.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

REGION, SAME_PROVINCE, ANYWHERE = 0, 1, 2


@dataclass(frozen=True)
class Site:
    """A warehouse as allocation sees it: where it is and what it has, per SKU."""

    warehouse_id: int
    province: str
    regions: tuple[str, ...] = ()
    is_default: bool = False
    available: Mapping[int, int] = field(default_factory=dict)

    def has(self, sku_id: int, quantity: int) -> bool:
        return self.available.get(sku_id, 0) >= quantity


def nearness(site: Site, ship_province: str | None) -> int:
    """0: the warehouse serves the province; 1: it is in it; 2: anywhere else."""
    if ship_province is not None and ship_province in site.regions:
        return REGION
    if ship_province is not None and site.province == ship_province:
        return SAME_PROVINCE
    return ANYWHERE


def ranked(sites: Sequence[Site], ship_province: str | None) -> list[Site]:
    return sorted(
        sites, key=lambda s: (nearness(s, ship_province), not s.is_default, s.warehouse_id)
    )


def allocate(
    wanted: Mapping[int, int], sites: Sequence[Site], ship_province: str | None
) -> dict[int, list[tuple[int, int]]] | None:
    """``{sku_id: [(warehouse_id, quantity), ...]}`` covering ``wanted`` exactly, or None when
    the warehouses together do not have it."""
    order = ranked(sites, ship_province)
    whole = [s for s in order if all(s.has(sku, n) for sku, n in wanted.items())]
    if whole:
        return {sku: [(whole[0].warehouse_id, n)] for sku, n in wanted.items()}
    used: list[int] = []
    plan: dict[int, list[tuple[int, int]]] = {}
    for sku_id in sorted(wanted):
        # Warehouses the order already ships from first, each group in rank order.
        preferred = sorted(order, key=lambda s: s.warehouse_id not in used)
        quantity = wanted[sku_id]
        single = next((s for s in preferred if s.has(sku_id, quantity)), None)
        if single is not None:
            parts = [(single.warehouse_id, quantity)]
        else:
            parts = []
            for site in preferred:
                take = min(quantity, site.available.get(sku_id, 0))
                if take > 0:
                    parts.append((site.warehouse_id, take))
                    quantity -= take
                if quantity == 0:
                    break
            if quantity > 0:
                return None
        plan[sku_id] = parts
        used.extend(w for w, _ in parts if w not in used)
    return plan
