"""Products for staff: the generated SKU matrix, edits, and the publishing state machine.

A product's spec dimensions are fixed when it is created: the server makes one SKU for every
combination of their values, so a shopper can never pick a combination that has no SKU.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog.categories import usable_category
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.catalog.schemas import (
    MAX_SKUS,
    ProductCreate,
    ProductPatch,
    SkuOverride,
    SkuPatch,
    SpecIn,
)
from weshop.catalog.search import index_products
from weshop.catalog.views import SkuListing, describe_skus
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.pagination import paginate
from weshop.core.state import StateMachine
from weshop.core.tenancy import StoreScope
from weshop.inventory.models import StockLevel
from weshop.inventory.service import open_stock_level, stock_levels
from weshop.logistics.service import usable_template
from weshop.media.models import MediaAsset

S = ProductStatus
PRODUCT_MACHINE: StateMachine[ProductStatus] = StateMachine(
    "product",
    {
        (S.DRAFT, "publish"): S.PUBLISHED,
        (S.PUBLISHED, "unpublish"): S.UNPUBLISHED,
        (S.UNPUBLISHED, "publish"): S.PUBLISHED,
        (S.DRAFT, "archive"): S.ARCHIVED,
        (S.UNPUBLISHED, "archive"): S.ARCHIVED,
        # Back from the archive off sale: the merchant checks it before selling it again.
        (S.ARCHIVED, "restore"): S.UNPUBLISHED,
    },
)


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    skus: list[Sku]
    levels: dict[int, StockLevel]
    media: dict[int, MediaAsset]


@dataclass(frozen=True)
class ProductList:
    rows: list[Product]
    media: dict[int, MediaAsset]


def spec_key(values: dict[str, str]) -> str:
    return "|".join(f"{name}:{value}" for name, value in values.items())


def spec_matrix(specs: Sequence[SpecIn]) -> list[dict[str, str]]:
    """Every combination of the dimensions' values, in declaration order; ``[{}]`` if none."""
    names = [spec.name for spec in specs]
    return [
        dict(zip(names, combination, strict=True))
        for combination in itertools.product(*(spec.values for spec in specs))
    ]


def _match_overrides(data: ProductCreate, matrix: list[dict[str, str]]) -> dict[str, SkuOverride]:
    names = [spec.name for spec in data.specs]
    keys = {spec_key(values) for values in matrix}
    matched: dict[str, SkuOverride] = {}
    for index, override in enumerate(data.skus):
        given = override.spec_values
        key = spec_key({name: given[name] for name in names if name in given})
        if set(given) != set(names) or key not in keys:
            raise InvalidInput(
                "an SKU override names a combination the specs do not make",
                code="unknown_combination",
                details={"index": index, "spec_values": given},
            )
        if key in matched:
            raise InvalidInput(
                "two SKU overrides name the same combination",
                code="duplicate_override",
                details={"index": index, "spec_values": given},
            )
        matched[key] = override
    return matched


async def _check_images(session: AsyncSession, store_id: int, image_ids: Sequence[int]) -> None:
    found = await repo.media(session, image_ids, store_id)
    missing = [image_id for image_id in image_ids if image_id not in found]
    if missing:
        raise InvalidInput(
            "some images are not media of this store",
            code="unknown_image",
            details={"image_ids": missing},
        )


async def check_codes_free(session: AsyncSession, store_id: int, codes: list[str]) -> None:
    if len(set(codes)) != len(codes):
        raise InvalidInput("SKU codes must differ from each other", code="duplicate_sku_code")
    taken = await repo.taken_sku_codes(session, store_id, codes)
    if taken:
        raise Conflict(
            "another SKU of this store has this code",
            code="sku_code_taken",
            details={"sku_codes": sorted(taken)},
        )


async def generated_codes(
    session: AsyncSession,
    store_id: int,
    product_id: int,
    count: int,
    reserved: set[str],
    *,
    start: int = 1,
) -> list[str]:
    """``P<product>-<n>`` from ``start``; a code already taken gets a random suffix."""
    candidates = [f"P{product_id}-{n:03d}" for n in range(start, start + count)]
    taken = reserved | await repo.taken_sku_codes(session, store_id, candidates)
    return [f"{code}-{secrets.token_hex(3)}" if code in taken else code for code in candidates]


async def _detail(session: AsyncSession, product: Product) -> ProductDetail:
    skus = await repo.skus_of(session, product.id)
    return ProductDetail(
        product=product,
        skus=skus,
        levels=await stock_levels(session, [sku.id for sku in skus]),
        media=await repo.media(session, product.image_ids, product.store_id),
    )


async def refresh_price_from(session: AsyncSession, product: Product) -> None:
    await session.flush()
    product.price_from_fen = await repo.lowest_active_price(session, product.id) or 0


async def check_publishable(session: AsyncSession, product: Product) -> None:
    if not await repo.has_priced_active_sku(session, product.id):
        raise Conflict(
            "a published product needs at least one active SKU with a price above zero",
            code="not_publishable",
        )


async def create_product(
    session: AsyncSession, scope: StoreScope, data: ProductCreate
) -> ProductDetail:
    """Create a product and its whole SKU matrix, with each SKU's initial stock received."""
    if data.category_id is not None:
        await usable_category(session, scope.store_id, data.category_id)
    if data.shipping_template_id is not None:
        await usable_template(session, scope.store_id, data.shipping_template_id)
    await _check_images(session, scope.store_id, data.image_ids)
    matrix = spec_matrix(data.specs)
    if len(matrix) > MAX_SKUS:
        raise InvalidInput(
            f"the specs make {len(matrix)} combinations; at most {MAX_SKUS} are allowed",
            code="too_many_skus",
        )
    overrides = _match_overrides(data, matrix)
    explicit = [o.sku_code for o in overrides.values() if o.sku_code is not None]
    await check_codes_free(session, scope.store_id, explicit)

    product = Product(
        store_id=scope.store_id,
        category_id=data.category_id,
        shipping_template_id=data.shipping_template_id,
        title=data.title,
        subtitle=data.subtitle,
        description=data.description,
        status=ProductStatus.DRAFT,
        specs=[spec.model_dump() for spec in data.specs],
        image_ids=list(data.image_ids),
    )
    session.add(product)
    await session.flush()
    generated = await generated_codes(
        session, scope.store_id, product.id, len(matrix), set(explicit)
    )
    skus, stocks = [], []
    for values, code in zip(matrix, generated, strict=True):
        override = overrides.get(spec_key(values)) or SkuOverride()
        skus.append(
            Sku(
                store_id=scope.store_id,
                product_id=product.id,
                spec_key=spec_key(values),
                spec_values=values,
                sku_code=override.sku_code or code,
                price_fen=data.default_price_fen
                if override.price_fen is None
                else override.price_fen,
                weight_grams=override.weight_grams or 0,
            )
        )
        stocks.append(data.default_stock if override.stock is None else override.stock)
    session.add_all(skus)
    await session.flush()
    for sku, stock in zip(skus, stocks, strict=True):
        await open_stock_level(session, scope.store_id, sku.id, stock, scope.actor_id)
    await refresh_price_from(session, product)
    if data.publish:
        await _transition(session, product, "publish")
    await index_products(session, [product.id])
    return await _detail(session, product)


async def product_of(
    session: AsyncSession, scope: StoreScope, product_id: int, *, lock: bool = False
) -> Product:
    product = await repo.product(session, scope.store_id, product_id, lock=lock)
    if product is None:
        raise NotFound("no such product")
    return product


def editable(product: Product) -> None:
    if product.status == ProductStatus.ARCHIVED:
        raise Conflict("an archived product cannot be changed", code="product_archived")


async def get_product(session: AsyncSession, scope: StoreScope, product_id: int) -> ProductDetail:
    return await _detail(session, await product_of(session, scope, product_id))


async def list_products(
    session: AsyncSession,
    scope: StoreScope,
    *,
    status: ProductStatus | None,
    category_id: int | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> ProductList:
    """Newest first; ``limit + 1`` rows so the caller can tell whether more follow."""
    query = repo.merchant_products_query(scope.store_id, status, category_id, q)
    rows = list(await session.scalars(paginate(query, Product, cursor, limit)))
    covers = [p.image_ids[0] for p in rows if p.image_ids]
    return ProductList(rows=rows, media=await repo.media(session, covers, scope.store_id))


async def update_product(
    session: AsyncSession, scope: StoreScope, product_id: int, patch: ProductPatch
) -> ProductDetail:
    product = await product_of(session, scope, product_id)
    editable(product)
    changes = patch.model_dump(exclude_unset=True)
    if "category_id" in changes and changes["category_id"] is not None:
        await usable_category(session, scope.store_id, changes["category_id"])
    if changes.get("shipping_template_id") is not None:
        await usable_template(session, scope.store_id, changes["shipping_template_id"])
    if changes.get("image_ids") is not None:
        await _check_images(session, scope.store_id, changes["image_ids"])
    for name, value in changes.items():
        # Null clears the category or the template; for the other fields it means "leave as
        # it is".
        if value is not None or name in ("category_id", "shipping_template_id"):
            setattr(product, name, value)
    await index_products(session, [product.id])
    return await _detail(session, product)


async def update_sku(
    session: AsyncSession, scope: StoreScope, product_id: int, sku_id: int, patch: SkuPatch
) -> tuple[Product, Sku, StockLevel | None]:
    """Change one SKU; a published product must keep something to sell."""
    product = await product_of(session, scope, product_id, lock=True)
    editable(product)
    sku = await repo.sku(session, scope.store_id, product.id, sku_id)
    if sku is None:
        raise NotFound("no such SKU")
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if "sku_code" in changes and changes["sku_code"] != sku.sku_code:
        await check_codes_free(session, scope.store_id, [changes["sku_code"]])
    if changes.get("is_active") and not sku.is_active and _retired(product, sku):
        raise Conflict(
            "this SKU's spec value was retired; add the value again to sell it",
            code="sku_retired",
        )
    if "image_id" in patch.model_fields_set:
        # Unlike the other fields, an explicit null means something: no picture of its own.
        changes["image_id"] = patch.image_id
        if patch.image_id is not None:
            await _check_images(session, scope.store_id, [patch.image_id])
    for name, value in changes.items():
        setattr(sku, name, value)
    await skus_changed(session, product)
    await session.flush()
    levels = await stock_levels(session, [sku.id])
    return product, sku, levels.get(sku.id)


async def skus_changed(session: AsyncSession, product: Product) -> None:
    """After any change of a product's SKUs (one edited, specs edited): its lowest price and
    its search document (spec values are searched) follow, and a product on sale must keep
    something to sell."""
    await refresh_price_from(session, product)
    if product.status == ProductStatus.PUBLISHED:
        await check_publishable(session, product)
    await index_products(session, [product.id])


def _retired(product: Product, sku: Sku) -> bool:
    """A SKU whose combination the product's specs no longer make (a value was retired)."""
    offered = {spec["name"]: spec["values"] for spec in product.specs}
    return set(sku.spec_values) != set(offered) or any(
        value not in offered[name] for name, value in sku.spec_values.items()
    )


async def _transition(session: AsyncSession, product: Product, action: str) -> None:
    PRODUCT_MACHINE.target(product.status, action)  # an illegal move is refused first
    if action == "publish":
        await check_publishable(session, product)
    await session.flush()
    await PRODUCT_MACHINE.apply(session, product, action)


async def change_status(
    session: AsyncSession, scope: StoreScope, product_id: int, action: str
) -> ProductDetail:
    """Publish, unpublish, archive or restore, as the product state machine allows."""
    product = await product_of(session, scope, product_id, lock=True)
    await _transition(session, product, action)
    # Search reads the live status; the document is refreshed so that a product indexed
    # before it had one (an import) is findable from its first publication.
    await index_products(session, [product.id])
    return await _detail(session, product)


async def record_sales(session: AsyncSession, units_by_product: dict[int, int]) -> None:
    """Count sold units for the 'best sellers' order; negative units undo a sale."""
    for product_id, units in sorted(units_by_product.items()):
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(sales_count=Product.sales_count + units)
        )


async def search_skus(
    session: AsyncSession, scope: StoreScope, q: str, limit: int = 50
) -> list[SkuListing]:
    """The store's SKUs matching a code or title words, with their product, for stock work."""
    sku_ids = await repo.sku_ids_matching(session, scope.store_id, q, limit)
    listings = await describe_skus(session, sku_ids, store_id=scope.store_id)
    return [listings[sku_id] for sku_id in sku_ids if sku_id in listings]
