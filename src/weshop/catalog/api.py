from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentOperator
from weshop.catalog import categories, detail, imports, platform_categories, service, specs, views
from weshop.catalog.models import ProductStatus
from weshop.catalog.schemas import (
    CategoryIn,
    CategoryNode,
    CategoryOut,
    CategoryPatch,
    DetailIn,
    DetailOut,
    ImportPreviewOut,
    ImportResultOut,
    LowStockOut,
    MerchantProductSummary,
    PlatformCategoryIn,
    PlatformCategoryOut,
    PlatformCategoryPatch,
    ProductCreate,
    ProductOut,
    ProductPatch,
    ProductSummary,
    ShopProductOut,
    SkuOut,
    SkuPatch,
    SpecDimensionAdd,
    SpecValueAdd,
    SpecValueRename,
    SpecValueRetire,
    category_tree,
    merchant_summary_out,
    product_out,
    shop_product_out,
    sku_out,
)
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, ProductId, SkuId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.tenancy import StoreScope
from weshop.inventory import service as inventory
from weshop.media import service as media
from weshop.media.schemas import MediaOut
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.web.response_cache import cached_response

merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: catalogue"])
# Stock shown with its products: inventory knows SKUs by id only.
stock = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: stock"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])
platform = APIRouter(prefix="/api/v1/platform/categories", tags=["platform"])

CategoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Category id.")]
StoreIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Store id.")]
CategoryFilter = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Products of this category or of its sub-categories."),
]
Keywords = Annotated[
    str | None,
    Query(
        max_length=60,
        description="Words separated by spaces. In the shop, each must appear in the title, "
        "subtitle, a spec value or the category (store or platform) of the product; "
        "in the merchant list, in the title or subtitle.",
    ),
]

Reader = staff_with(Permission.CATALOG_READ)
Writer = staff_with(Permission.CATALOG_WRITE)


# Categories


@merchant.get("/categories", response_model=list[CategoryOut])
async def list_categories(session: DbSession, scope: StoreScope = Reader):
    """The store's categories, flat, ordered by `sort_order`; `parent_id` gives the nesting."""
    return await categories.list_categories(session, scope)


@merchant.post("/categories", status_code=status.HTTP_201_CREATED, response_model=CategoryOut)
async def create_category(body: CategoryIn, session: DbSession, scope: StoreScope = Writer):
    """Add a category, top-level or under a top-level one (two levels at most)."""
    return await categories.create_category(session, scope, body)


@merchant.patch("/categories/{category_id}", response_model=CategoryOut)
async def update_category(
    category_id: CategoryId, body: CategoryPatch, session: DbSession, scope: StoreScope = Writer
):
    """Rename, reorder or move a category."""
    return await categories.update_category(session, scope, category_id, body)


@merchant.delete("/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_category(
    category_id: CategoryId, session: DbSession, scope: StoreScope = Writer
) -> None:
    """Delete an empty category: one with products or sub-categories answers 409."""
    await categories.delete_category(session, scope, category_id)


# Media


@merchant.post("/media", status_code=status.HTTP_201_CREATED, response_model=MediaOut)
async def upload_media(
    session: DbSession,
    runtime: RuntimeDep,
    file: UploadFile = File(description="A PNG, JPEG, WebP or GIF image."),
    scope: StoreScope = Writer,
):
    """Upload a product image. Its bytes decide its type, not the name or the content type;
    the same image uploaded again returns the same asset."""
    limit = runtime.settings.max_upload_bytes
    data = await file.read(limit + 1)
    return await media.upload_image(
        session, scope, data, media_dir=runtime.settings.media_dir, max_bytes=limit
    )


@merchant.post("/media/videos", status_code=status.HTTP_201_CREATED, response_model=MediaOut)
async def upload_video(
    session: DbSession,
    runtime: RuntimeDep,
    file: UploadFile = File(description="An MP4 video."),
    scope: StoreScope = Writer,
):
    """Upload a product's detail video (MP4, at most `WESHOP_MAX_VIDEO_BYTES`). Its bytes
    decide its type; the same video uploaded again returns the same asset."""
    limit = runtime.settings.max_video_bytes
    data = await file.read(limit + 1)
    return await media.upload_video(
        session, scope, data, media_dir=runtime.settings.media_dir, max_bytes=limit
    )


# Products


@merchant.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
async def create_product(body: ProductCreate, session: DbSession, scope: StoreScope = Writer):
    """Create a product. The server makes one SKU for every combination of the spec values
    (one SKU without specs), applies `skus` overrides to named combinations, generates
    missing SKU codes and records each SKU's initial stock as received."""
    return product_out(*_parts(await service.create_product(session, scope, body)))


@merchant.get("/products", response_model=Page[MerchantProductSummary])
async def list_products(
    session: DbSession,
    scope: StoreScope = Reader,
    product_status: Annotated[ProductStatus | None, Query(alias="status")] = None,
    category_id: CategoryFilter = None,
    q: Keywords = None,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The store's products, newest first, one page at a time."""
    found = await service.list_products(
        session,
        scope,
        status=product_status,
        category_id=category_id,
        q=q,
        cursor=cursor,
        limit=limit,
    )
    return page_of(found.rows, limit, lambda p: merchant_summary_out(p, found.media))


@merchant.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: ProductId, session: DbSession, scope: StoreScope = Reader):
    """A product with all its SKUs and their stock."""
    return product_out(*_parts(await service.get_product(session, scope, product_id)))


@merchant.patch("/products/{product_id}", response_model=ProductOut)
async def update_product(
    product_id: ProductId, body: ProductPatch, session: DbSession, scope: StoreScope = Writer
):
    """Change a product's texts, category or images (not its specs)."""
    return product_out(*_parts(await service.update_product(session, scope, product_id, body)))


@merchant.patch("/products/{product_id}/skus/{sku_id}", response_model=SkuOut)
async def update_sku(
    product_id: ProductId,
    sku_id: SkuId,
    body: SkuPatch,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Change an SKU's price, code, weight or whether it is sold. Stock moves separately."""
    return sku_out(*await service.update_sku(session, scope, product_id, sku_id, body))


@merchant.get("/products/{product_id}/detail", response_model=DetailOut)
async def get_detail(product_id: ProductId, session: DbSession, scope: StoreScope = Reader):
    """The product's 图文 detail: its blocks of text, images and video, in order."""
    return await detail.get_detail(session, scope, product_id)


@merchant.put("/products/{product_id}/detail", response_model=DetailOut)
async def set_detail(
    product_id: ProductId, body: DetailIn, session: DbSession, scope: StoreScope = Writer
):
    """Replace the 图文 detail shown below the specs: up to 30 blocks, each a paragraph
    (`text`), an uploaded image (`image`, from `POST .../media`) or the one video (`video`,
    from `POST .../media/videos`). Media that is not this store's answers 404; an image
    named by a video block (or the reverse) 409 `wrong_media_kind`; two videos 409
    `one_video_only`; an archived product 409 `product_archived`."""
    return await detail.set_detail(session, scope, product_id, body.blocks)


@merchant.post("/products/{product_id}/publish", response_model=ProductOut)
async def publish_product(product_id: ProductId, session: DbSession, scope: StoreScope = Writer):
    """Put a draft or unpublished product on sale; it needs an active SKU priced above 0."""
    return await _change_status(session, scope, product_id, "publish")


@merchant.post("/products/{product_id}/unpublish", response_model=ProductOut)
async def unpublish_product(product_id: ProductId, session: DbSession, scope: StoreScope = Writer):
    """Take a published product off sale."""
    return await _change_status(session, scope, product_id, "unpublish")


@merchant.post("/products/{product_id}/archive", response_model=ProductOut)
async def archive_product(product_id: ProductId, session: DbSession, scope: StoreScope = Writer):
    """Archive a draft or unpublished product: it leaves the shop and the default product
    list and can no longer be changed; its orders keep it. `restore` brings it back."""
    return await _change_status(session, scope, product_id, "archive")


@merchant.post("/products/{product_id}/restore", response_model=ProductOut)
async def restore_product(product_id: ProductId, session: DbSession, scope: StoreScope = Writer):
    """Bring an archived product back, unpublished (publish it when it is ready)."""
    return await _change_status(session, scope, product_id, "restore")


# Specs after creation


@merchant.post("/products/{product_id}/specs", response_model=ProductOut)
async def add_spec(
    product_id: ProductId, body: SpecDimensionAdd, session: DbSession, scope: StoreScope = Writer
):
    """Add a spec dimension. Every existing SKU takes its first value (orders keep their
    SKU); each further value makes new SKUs at `price_fen` and `stock`."""
    return product_out(*_parts(await specs.add_dimension(session, scope, product_id, body)))


@merchant.post("/products/{product_id}/specs/values", response_model=ProductOut)
async def add_spec_value(
    product_id: ProductId, body: SpecValueAdd, session: DbSession, scope: StoreScope = Writer
):
    """Add a value to a dimension: a new SKU for each combination it makes, at `price_fen`
    and `stock` (a retired SKU of the same combination comes back instead)."""
    return product_out(*_parts(await specs.add_value(session, scope, product_id, body)))


@merchant.post("/products/{product_id}/specs/values/rename", response_model=ProductOut)
async def rename_spec_value(
    product_id: ProductId, body: SpecValueRename, session: DbSession, scope: StoreScope = Writer
):
    """Rename a value; its SKUs follow, order lines keep the name they were placed with."""
    return product_out(*_parts(await specs.rename_value(session, scope, product_id, body)))


@merchant.post("/products/{product_id}/specs/values/retire", response_model=ProductOut)
async def retire_spec_value(
    product_id: ProductId, body: SpecValueRetire, session: DbSession, scope: StoreScope = Writer
):
    """Stop offering a value. Its SKUs that an order, a cart or a campaign names are retired
    (`is_active: false`, kept for their history; carts show them unavailable); the others
    are deleted with their stock. The last value of a dimension cannot be retired (409)."""
    return product_out(*_parts(await specs.retire_value(session, scope, product_id, body)))


async def _change_status(
    session: AsyncSession, scope: StoreScope, product_id: int, action: str
) -> ProductOut:
    return product_out(*_parts(await service.change_status(session, scope, product_id, action)))


def _parts(detail: service.ProductDetail) -> tuple:
    return detail.product, detail.skus, detail.levels, detail.media


# CSV import

CsvFile = Annotated[UploadFile, File(description="The CSV (UTF-8 or GB18030), 2 MB at most.")]


@merchant.get(
    "/product-imports/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The template, with examples."}},
)
async def import_template(scope: StoreScope = Writer):
    """The CSV template: one row per SKU, a product's rows sharing its product key; UTF-8
    with a BOM so that Excel shows the Chinese headers."""
    return Response(
        imports.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products-template.csv"'},
    )


async def _csv_bytes(file: UploadFile) -> bytes:
    return await file.read(imports.MAX_IMPORT_BYTES + 1)


@merchant.post("/product-imports/preview", response_model=ImportPreviewOut)
async def preview_import(file: CsvFile, session: DbSession, scope: StoreScope = Writer):
    """Check a CSV without writing anything: the products it would create and every bad row
    with its line number (header = line 1)."""
    return imports.preview_out(await imports.preview(session, scope, await _csv_bytes(file)))


@merchant.post(
    "/product-imports", status_code=status.HTTP_201_CREATED, response_model=ImportResultOut
)
async def import_products(file: CsvFile, session: DbSession, scope: StoreScope = Writer):
    """Create the file's products as drafts with their SKUs and stock. Any bad row refuses
    the whole file (422 `import_rejected`, `details.errors` lists each row's problems) and
    writes nothing. An SKU code the store already has is such an error, so importing the same
    file again creates nothing twice."""
    created = await imports.import_products(session, scope, await _csv_bytes(file))
    return ImportResultOut(
        product_ids=[detail.product.id for detail in created],
        sku_count=sum(len(detail.skus) for detail in created),
    )


# Stock


@stock.get("/stock/low", response_model=list[LowStockOut])
async def low_stock(session: DbSession, scope: StoreScope = Reader):
    """SKUs at or below their threshold, emptiest first (at most 100)."""
    levels = await inventory.low_stock(session, scope)
    listings = await views.describe_skus(
        session, [level.sku_id for level in levels], store_id=scope.store_id
    )
    return [
        LowStockOut(
            sku_id=level.sku_id,
            product_id=listing.product.id,
            product_status=listing.product.status,
            title=listing.product.title,
            spec_text=listing.sku.spec_text,
            sku_code=listing.sku.sku_code,
            available=level.available,
            reserved=level.reserved,
            low_stock_threshold=level.low_stock_threshold,
        )
        for level in levels
        if (listing := listings.get(level.sku_id))
    ]


# Shop


@shop.get("/products", response_model=Page[ProductSummary])
@cached_response()
async def shop_products(
    session: DbSession,
    store_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category_id: CategoryFilter = None,
    q: Keywords = None,
    sort: views.ShopSort = "newest",
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Products on sale in active stores. Sort by `newest`, `price_asc`, `price_desc` or
    `sales`; follow `next_cursor` (with the same filters and sort) for the next page."""
    return await views.shop_products(
        session,
        store_id=store_id,
        category_id=category_id,
        q=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )


@shop.get("/products/{product_id}", response_model=ShopProductOut)
@cached_response()
async def shop_product(product_id: ProductId, session: DbSession):
    """A product on sale, with its active SKUs and how many of each are available."""
    found = await views.shop_product(session, product_id)
    return shop_product_out(found.product, found.store, found.skus, found.levels, found.media)


@shop.get("/stores/{store_id}/categories", response_model=list[CategoryNode])
@cached_response()
async def shop_categories(store_id: StoreIdPath, session: DbSession):
    """An active store's categories as a tree (two levels)."""
    return category_tree(await categories.public_categories(session, store_id))


@shop.get("/platform-categories", response_model=list[PlatformCategoryOut])
@cached_response()
async def shop_platform_categories(session: DbSession):
    """The platform's category tree (in use), flat: parents first, each followed by its
    children; `parent_id` gives the nesting. Stores map their categories onto these."""
    return await platform_categories.platform_tree(session)


# Platform category tree (operators)

PlatformCategoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Platform category id.")]


@platform.get("", response_model=list[PlatformCategoryOut])
async def list_platform_categories(operator: CurrentOperator, session: DbSession):
    """The whole platform category tree, retired categories included, parents first."""
    return await platform_categories.platform_tree(session, with_retired=True)


@platform.post("", status_code=status.HTTP_201_CREATED, response_model=PlatformCategoryOut)
async def create_platform_category(
    body: PlatformCategoryIn, operator: CurrentOperator, session: DbSession
):
    """Add a platform category, top-level or under a top-level one (two levels at most)."""
    return await platform_categories.create_platform_category(session, body)


@platform.patch("/{platform_category_id}", response_model=PlatformCategoryOut)
async def update_platform_category(
    platform_category_id: PlatformCategoryId,
    body: PlatformCategoryPatch,
    operator: CurrentOperator,
    session: DbSession,
):
    """Rename, reorder or move a platform category; search finds products by the new name."""
    return await platform_categories.update_platform_category(session, platform_category_id, body)


@platform.post("/{platform_category_id}/retire", response_model=PlatformCategoryOut)
async def retire_platform_category(
    platform_category_id: PlatformCategoryId, operator: CurrentOperator, session: DbSession
):
    """Retire an unused platform category: one a store category maps onto, or with live
    sub-categories, answers 409. Fee rates set on it stay in the schedule."""
    return await platform_categories.retire_platform_category(session, platform_category_id)
