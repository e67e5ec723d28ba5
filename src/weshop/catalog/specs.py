"""Changing a product's spec dimensions after it was created, keeping the SKU matrix whole.

Every combination of the offered values has exactly one active SKU. A retired value's SKUs
that anything names (an order line, a cart, a campaign) stay as inactive rows, so the order
history keeps its SKU; those nobody ever named are deleted with their stock. Order lines keep
the spec text they were placed with (a snapshot), so a rename never rewrites history.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog.models import Product, Sku
from weshop.catalog.schemas import (
    MAX_SKUS,
    MAX_SPEC_VALUES,
    MAX_SPECS,
    SpecDimensionAdd,
    SpecValueAdd,
    SpecValueRename,
    SpecValueRetire,
)
from weshop.catalog.service import (
    ProductDetail,
    editable,
    generated_codes,
    get_product,
    product_of,
    skus_changed,
    spec_key,
)
from weshop.core.errors import Conflict, NotFound
from weshop.core.tenancy import StoreScope
from weshop.inventory.service import discard_stock, open_stock_level


async def _locked(session: AsyncSession, scope: StoreScope, product_id: int) -> Product:
    product = await product_of(session, scope, product_id, lock=True)
    editable(product)
    return product


def _dimension(product: Product, name: str) -> dict:
    for spec in product.specs:
        if spec["name"] == name:
            return spec
    raise NotFound("the product has no such spec", code="unknown_spec")


def _ordered(product: Product, values: dict[str, str]) -> dict[str, str]:
    names = [spec["name"] for spec in product.specs]
    return {name: values[name] for name in names if name in values}


async def _finish(session: AsyncSession, scope: StoreScope, product: Product) -> ProductDetail:
    await skus_changed(session, product)
    await session.flush()
    return await get_product(session, scope, product.id)


async def _add_skus(
    session: AsyncSession,
    scope: StoreScope,
    product: Product,
    combinations: list[dict[str, str]],
    price_fen: int,
    stock: int,
) -> None:
    """New SKUs for ``combinations``; one of them a retired SKU still holds comes back."""
    existing = {sku.spec_key: sku for sku in await repo.skus_of(session, product.id)}
    active = sum(1 for sku in existing.values() if sku.is_active)
    if active + len(combinations) > MAX_SKUS:
        raise Conflict(f"the specs would make more than {MAX_SKUS} SKUs", code="too_many_skus")
    fresh = [values for values in combinations if spec_key(values) not in existing]
    for values in combinations:
        if (back := existing.get(spec_key(values))) is not None:
            back.is_active = True
            back.price_fen = price_fen
    codes = await generated_codes(
        session, scope.store_id, product.id, len(fresh), set(), start=len(existing) + 1
    )
    skus = [
        Sku(
            store_id=scope.store_id,
            product_id=product.id,
            spec_key=spec_key(values),
            spec_values=values,
            sku_code=code,
            price_fen=price_fen,
        )
        for values, code in zip(fresh, codes, strict=True)
    ]
    session.add_all(skus)
    await session.flush()
    for sku in skus:
        await open_stock_level(session, scope.store_id, sku.id, stock, scope.actor_id)


def _combinations_with(product: Product, name: str, value: str) -> list[dict[str, str]]:
    """Every combination of the offered values that has ``value`` for ``name``."""
    combos: list[dict[str, str]] = [{}]
    for spec in product.specs:
        options = [value] if spec["name"] == name else spec["values"]
        combos = [{**combo, spec["name"]: option} for combo in combos for option in options]
    return combos


async def add_value(
    session: AsyncSession, scope: StoreScope, product_id: int, data: SpecValueAdd
) -> ProductDetail:
    """Offer one more value of a dimension, with a SKU for each combination it makes."""
    product = await _locked(session, scope, product_id)
    spec = _dimension(product, data.name)
    if data.value in spec["values"]:
        raise Conflict("the spec already has this value", code="spec_value_exists")
    if len(spec["values"]) >= MAX_SPEC_VALUES:
        raise Conflict(f"a spec has {MAX_SPEC_VALUES} values at most", code="too_many_spec_values")
    product.specs = [
        {**s, "values": [*s["values"], data.value]} if s["name"] == data.name else s
        for s in product.specs
    ]
    await _add_skus(
        session,
        scope,
        product,
        _combinations_with(product, data.name, data.value),
        data.price_fen,
        data.stock,
    )
    return await _finish(session, scope, product)


async def retire_value(
    session: AsyncSession, scope: StoreScope, product_id: int, data: SpecValueRetire
) -> ProductDetail:
    """Stop offering a value: its SKUs that something names are retired, the rest deleted."""
    product = await _locked(session, scope, product_id)
    spec = _dimension(product, data.name)
    if data.value not in spec["values"]:
        raise NotFound("the spec has no such value", code="unknown_spec_value")
    if len(spec["values"]) == 1:
        raise Conflict("a spec keeps at least one value; rename it instead", code="last_spec_value")
    product.specs = [
        {**s, "values": [v for v in s["values"] if v != data.value]}
        if s["name"] == data.name
        else s
        for s in product.specs
    ]
    leaving = [
        sku
        for sku in await repo.skus_of(session, product.id)
        if sku.spec_values.get(data.name) == data.value
    ]
    await repo.lock_skus(session, [sku.id for sku in leaving])
    named = await repo.referenced_sku_ids(session, [sku.id for sku in leaving])
    for sku in leaving:
        if sku.id in named:
            sku.is_active = False
    doomed = [sku.id for sku in leaving if sku.id not in named]
    if doomed:
        await session.flush()
        await discard_stock(session, scope.store_id, doomed)
        await repo.delete_skus(session, scope.store_id, doomed)
    return await _finish(session, scope, product)


async def rename_value(
    session: AsyncSession, scope: StoreScope, product_id: int, data: SpecValueRename
) -> ProductDetail:
    """Rename a value; its SKUs (retired ones too) follow, order lines keep their snapshot."""
    product = await _locked(session, scope, product_id)
    spec = _dimension(product, data.name)
    if data.value not in spec["values"]:
        raise NotFound("the spec has no such value", code="unknown_spec_value")
    if data.new_value == data.value:
        return await get_product(session, scope, product.id)
    skus = await repo.skus_of(session, product.id)
    taken = {sku.spec_values.get(data.name) for sku in skus} | set(spec["values"])
    if data.new_value in taken:
        raise Conflict("the spec has (or had) a value with this name", code="spec_value_exists")
    product.specs = [
        {**s, "values": [data.new_value if v == data.value else v for v in s["values"]]}
        if s["name"] == data.name
        else s
        for s in product.specs
    ]
    for sku in skus:
        if sku.spec_values.get(data.name) == data.value:
            values = _ordered(product, {**sku.spec_values, data.name: data.new_value})
            sku.spec_values = values
            sku.spec_key = spec_key(values)
    return await _finish(session, scope, product)


async def add_dimension(
    session: AsyncSession, scope: StoreScope, product_id: int, data: SpecDimensionAdd
) -> ProductDetail:
    """Add a dimension: every SKU takes its first value (so orders keep their SKU), and the
    other values make new SKUs for every combination."""
    product = await _locked(session, scope, product_id)
    if len(product.specs) >= MAX_SPECS:
        raise Conflict(f"a product has {MAX_SPECS} specs at most", code="too_many_specs")
    if any(spec["name"] == data.name for spec in product.specs):
        raise Conflict("the product already has a spec of this name", code="spec_exists")
    first, *others = data.values
    product.specs = [*product.specs, {"name": data.name, "values": [first]}]
    for sku in await repo.skus_of(session, product.id):
        values = {**sku.spec_values, data.name: first}
        sku.spec_values = values
        sku.spec_key = spec_key(_ordered(product, values))
    await session.flush()
    for value in others:
        product.specs = [
            {**s, "values": [*s["values"], value]} if s["name"] == data.name else s
            for s in product.specs
        ]
        await _add_skus(
            session,
            scope,
            product,
            _combinations_with(product, data.name, value),
            data.price_fen or 0,
            data.stock,
        )
    return await _finish(session, scope, product)
