from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

from weshop.catalog.models import Category, Product, ProductStatus, Sku
from weshop.core.ids import RowId
from weshop.core.money import Fen
from weshop.inventory.models import StockLevel
from weshop.inventory.service import MAX_STOCK
from weshop.media.models import MediaAsset
from weshop.stores.models import Store

# Ids fit a signed BigInteger; a larger number is bad input, not a database error.

MAX_SPECS = 3
MAX_SPEC_VALUES = 20
MAX_IMAGES = 9
# Cap on one product's spec matrix (20 x 20 x 20 would be 8000 SKUs).
MAX_SKUS = 600


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
    ]


def _without(chars: str) -> AfterValidator:
    """Spec keys are ``name:value|name:value``; these separators would make them ambiguous."""

    def check(value: str) -> str:
        if any(char in value for char in chars):
            raise ValueError(f"may not contain any of {' '.join(chars)}")
        return value

    return AfterValidator(check)


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must be distinct")
    return values


Title = _text(60)
Subtitle = _text(120, 0)
Description = _text(10_000, 0)
SpecName = Annotated[_text(20), _without(":|")]
SpecValue = Annotated[_text(40), _without("|")]
SkuCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(description="Letters, digits, '.', '_' or '-'; unique in the store."),
]
StockQuantity = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]
WeightGrams = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
ImageIds = Annotated[
    list[RowId],
    Field(max_length=MAX_IMAGES, description="Media ids of this store; the first is the cover."),
    AfterValidator(_distinct),
]
SortOrder = Annotated[StrictInt, Field(ge=0, le=100_000)]


class SpecIn(BaseModel):
    """One spec dimension, e.g. 颜色 with 红 and 蓝."""

    model_config = ConfigDict(extra="forbid")
    name: SpecName
    values: Annotated[
        list[SpecValue],
        Field(min_length=1, max_length=MAX_SPEC_VALUES),
        AfterValidator(_distinct),
    ]


class SkuOverride(BaseModel):
    """Settings for one generated combination that differ from the product's defaults."""

    model_config = ConfigDict(extra="forbid")
    spec_values: dict[SpecName, SpecValue] = Field(
        default_factory=dict,
        max_length=MAX_SPECS,
        description='The combination, e.g. {"颜色": "红", "尺码": "M"}; {} without specs.',
    )
    price_fen: Fen | None = None
    stock: StockQuantity | None = None
    sku_code: SkuCode | None = None
    weight_grams: WeightGrams | None = None


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    subtitle: Subtitle = ""
    description: Description = ""
    category_id: RowId | None = None
    shipping_template_id: RowId | None = Field(
        default=None, description="A shipping template of this store; none: the default."
    )
    image_ids: ImageIds = Field(default_factory=list)
    specs: list[SpecIn] = Field(
        default_factory=list,
        max_length=MAX_SPECS,
        description="0 to 3 dimensions; every combination of their values becomes a SKU.",
    )
    default_price_fen: Fen
    default_stock: StockQuantity
    publish: bool = False
    skus: list[SkuOverride] = Field(default_factory=list, max_length=MAX_SKUS)

    @model_validator(mode="after")
    def _distinct_spec_names(self) -> ProductCreate:
        _distinct([spec.name for spec in self.specs])
        return self


class ProductPatch(BaseModel):
    """Fields to change; `category_id: null` takes the product out of its category and
    `shipping_template_id: null` gives it the store's default shipping template."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    subtitle: Subtitle | None = None
    description: Description | None = None
    category_id: RowId | None = None
    shipping_template_id: RowId | None = None
    image_ids: ImageIds | None = None


class SkuPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price_fen: Fen | None = None
    sku_code: SkuCode | None = None
    weight_grams: WeightGrams | None = None
    is_active: bool | None = None
    image_id: RowId | None = Field(
        default=None,
        description="An image of this store shown when the SKU is chosen; null removes it.",
    )


class SpecValueAdd(BaseModel):
    """A new value of one dimension: one new SKU for each combination it makes, at this
    price and stock."""

    model_config = ConfigDict(extra="forbid")
    name: SpecName = Field(description="The dimension, e.g. 颜色.")
    value: SpecValue = Field(description="The new value, e.g. 绿.")
    price_fen: Fen = Field(description="Price of each new SKU, in fen.")
    stock: StockQuantity = Field(description="Initial stock of each new SKU.")


class SpecValueRename(BaseModel):
    """Rename a value; its SKUs follow, orders keep the name they were placed with."""

    model_config = ConfigDict(extra="forbid")
    name: SpecName
    value: SpecValue
    new_value: SpecValue


class SpecValueRetire(BaseModel):
    """Stop offering a value: its SKUs that were ever ordered (or sit in a cart or a
    campaign) are retired, kept for their history; the others are deleted."""

    model_config = ConfigDict(extra="forbid")
    name: SpecName
    value: SpecValue


class SpecDimensionAdd(BaseModel):
    """A new dimension. Every existing SKU takes its first value; each other value makes new
    SKUs for every existing combination, at this price and stock."""

    model_config = ConfigDict(extra="forbid")
    name: SpecName
    values: Annotated[
        list[SpecValue],
        Field(min_length=1, max_length=MAX_SPEC_VALUES),
        AfterValidator(_distinct),
    ]
    price_fen: Fen | None = Field(
        default=None, description="Price of each new SKU, in fen; needed with two values or more."
    )
    stock: StockQuantity = Field(default=0, description="Initial stock of each new SKU.")

    @model_validator(mode="after")
    def _priced_if_new_skus(self) -> SpecDimensionAdd:
        if len(self.values) > 1 and self.price_fen is None:
            raise ValueError("price_fen is needed when the spec has more than one value")
        return self


class ImportErrorOut(BaseModel):
    line: int = Field(description="Line of the file, the header being line 1.")
    column: str = Field(description="The column's key, e.g. `price`.")
    code: str = Field(description="e.g. `invalid_price`, `sku_code_taken`, `incomplete_matrix`.")
    message: str


class ImportProductOut(BaseModel):
    line: int = Field(description="The product's first line.")
    title: str
    category: str
    specs: list[SpecOut]
    sku_count: int
    price_from_fen: int
    stock_total: int


class ImportPreviewOut(BaseModel):
    """What importing the file would create; with any error, importing it writes nothing."""

    products: list[ImportProductOut]
    sku_count: int
    errors: list[ImportErrorOut]


class ImportResultOut(BaseModel):
    product_ids: list[int] = Field(description="The new products, drafts, in file order.")
    sku_count: int


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: _text(30)
    parent_id: RowId | None = Field(
        default=None, description="A top-level category of this store (two levels at most)."
    )
    sort_order: SortOrder = 0
    platform_category_id: RowId | None = Field(
        default=None,
        description="The platform category this one maps onto (fees and search use it); "
        "a sub-category without one uses its parent's.",
    )


class CategoryPatch(BaseModel):
    """Fields to change; `parent_id: null` makes the category top-level,
    `platform_category_id: null` removes the mapping."""

    model_config = ConfigDict(extra="forbid")
    name: _text(30) | None = None
    parent_id: RowId | None = None
    sort_order: SortOrder | None = None
    platform_category_id: RowId | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    parent_id: int | None
    name: str
    sort_order: int
    platform_category_id: int | None


class PlatformCategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: _text(30)
    parent_id: RowId | None = Field(
        default=None, description="A top-level platform category (two levels at most)."
    )
    sort_order: SortOrder = 0


class PlatformCategoryPatch(BaseModel):
    """Fields to change; `parent_id: null` makes the category top-level."""

    model_config = ConfigDict(extra="forbid")
    name: _text(30) | None = None
    parent_id: RowId | None = None
    sort_order: SortOrder | None = None


class PlatformCategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    parent_id: int | None
    name: str
    sort_order: int
    retired: bool


class CategoryNode(BaseModel):
    id: int
    name: str
    children: list[CategoryNode] = Field(default_factory=list)


class ImageOut(BaseModel):
    id: int
    url: str


class SpecOut(BaseModel):
    name: str
    values: list[str]


class SkuOut(BaseModel):
    id: int
    spec_values: dict[str, str]
    spec_text: str = Field(description="e.g. 颜色:红 / 尺码:M; empty without specs.")
    sku_code: str
    price_fen: int
    weight_grams: int
    is_active: bool
    available: int
    reserved: int
    image_id: int | None = Field(description="The SKU's own picture, if it has one.")


class ProductOut(BaseModel):
    id: int
    store_id: int
    title: str
    subtitle: str
    description: str
    category_id: int | None
    shipping_template_id: int | None
    status: ProductStatus
    specs: list[SpecOut]
    images: list[ImageOut]
    price_from_fen: int = Field(description="The lowest price of an active SKU.")
    sales_count: int
    skus: list[SkuOut]
    created_at: datetime
    updated_at: datetime


class ProductSummary(BaseModel):
    id: int
    store_id: int
    title: str
    subtitle: str
    price_from_fen: int
    image_url: str | None = Field(description="The cover image, if any.")
    sales_count: int


class MerchantProductSummary(ProductSummary):
    status: ProductStatus
    category_id: int | None
    created_at: datetime
    updated_at: datetime


class LowStockOut(BaseModel):
    sku_id: int
    product_id: int
    product_status: ProductStatus
    title: str
    spec_text: str
    sku_code: str
    available: int
    reserved: int
    low_stock_threshold: int


MAX_DETAIL_BLOCKS = 30
DetailText = _text(2000)


class DetailBlockIn(BaseModel):
    """One block of the 图文 detail: a paragraph, an image or the video (media of this store)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["text", "image", "video"]
    text: DetailText | None = Field(default=None, description="The paragraph (text blocks).")
    media_id: RowId | None = Field(
        default=None, description="An uploaded image (image blocks) or video (video blocks)."
    )

    @model_validator(mode="after")
    def _one_content(self) -> DetailBlockIn:
        if self.kind == "text" and (self.text is None or self.media_id is not None):
            raise ValueError("a text block has text and no media_id")
        if self.kind != "text" and (self.media_id is None or self.text is not None):
            raise ValueError("an image or video block has a media_id and no text")
        return self


class DetailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    blocks: list[DetailBlockIn] = Field(
        max_length=MAX_DETAIL_BLOCKS, description="In display order; at most one video."
    )


class DetailBlockOut(BaseModel):
    kind: Literal["text", "image", "video"]
    text: str | None = None
    media_id: int | None = None
    url: str | None = Field(default=None, description="The image or video, served under /media.")


class DetailOut(BaseModel):
    blocks: list[DetailBlockOut]


class ShopSkuOut(BaseModel):
    id: int
    spec_values: dict[str, str]
    spec_text: str
    price_fen: int
    available: int = Field(description="Units on sale now; offer only combinations above 0.")
    image_url: str | None = Field(description="The SKU's own picture, shown when it is chosen.")


class ShopStoreOut(BaseModel):
    id: int
    name: str


class ShopProductOut(BaseModel):
    id: int
    store: ShopStoreOut
    title: str
    subtitle: str
    description: str
    category_id: int | None
    specs: list[SpecOut]
    images: list[ImageOut]
    price_from_fen: int
    sales_count: int
    skus: list[ShopSkuOut] = Field(description="Active SKUs only.")
    detail: list[DetailBlockOut] = Field(description="The 图文 detail, in order.")


def ordered_spec_values(product: Product, sku: Sku) -> dict[str, str]:
    """A SKU's values in the product's dimension order (JSON objects need not keep it)."""
    names = [spec["name"] for spec in product.specs]
    return {name: sku.spec_values[name] for name in names if name in sku.spec_values}


def images_out(product: Product, media: Mapping[int, MediaAsset]) -> list[ImageOut]:
    return [ImageOut(id=i, url=media[i].url) for i in product.image_ids if i in media]


def cover_url(product: Product, media: Mapping[int, MediaAsset]) -> str | None:
    for image_id in product.image_ids:
        if image_id in media:
            return media[image_id].url
    return None


def sku_out(product: Product, sku: Sku, level: StockLevel | None) -> SkuOut:
    return SkuOut(
        id=sku.id,
        spec_values=ordered_spec_values(product, sku),
        spec_text=sku.spec_text,
        sku_code=sku.sku_code,
        price_fen=sku.price_fen,
        weight_grams=sku.weight_grams,
        is_active=sku.is_active,
        available=level.available if level else 0,
        reserved=level.reserved if level else 0,
        image_id=sku.image_id,
    )


def product_out(
    product: Product,
    skus: Iterable[Sku],
    levels: Mapping[int, StockLevel],
    media: Mapping[int, MediaAsset],
) -> ProductOut:
    return ProductOut(
        id=product.id,
        store_id=product.store_id,
        title=product.title,
        subtitle=product.subtitle,
        description=product.description,
        category_id=product.category_id,
        shipping_template_id=product.shipping_template_id,
        status=product.status,
        specs=[SpecOut(**spec) for spec in product.specs],
        images=images_out(product, media),
        price_from_fen=product.price_from_fen,
        sales_count=product.sales_count,
        skus=[sku_out(product, sku, levels.get(sku.id)) for sku in skus],
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def detail_out(
    blocks: Iterable[dict[str, Any]], media: Mapping[int, MediaAsset]
) -> list[DetailBlockOut]:
    """The blocks as shown; a block whose file is gone is left out."""
    shown = []
    for block in blocks:
        media_id = block.get("media_id")
        asset = media.get(media_id) if media_id is not None else None
        if block["kind"] != "text" and asset is None:
            continue
        shown.append(
            DetailBlockOut(
                kind=block["kind"],
                text=block.get("text"),
                media_id=media_id,
                url=asset.url if asset else None,
            )
        )
    return shown


def shop_product_out(
    product: Product,
    store: Store,
    skus: Iterable[Sku],
    levels: Mapping[int, StockLevel],
    media: Mapping[int, MediaAsset],
) -> ShopProductOut:
    return ShopProductOut(
        id=product.id,
        store=ShopStoreOut(id=store.id, name=store.name),
        title=product.title,
        subtitle=product.subtitle,
        description=product.description,
        category_id=product.category_id,
        specs=[SpecOut(**spec) for spec in product.specs],
        images=images_out(product, media),
        price_from_fen=product.price_from_fen,
        sales_count=product.sales_count,
        skus=[
            ShopSkuOut(
                id=sku.id,
                spec_values=ordered_spec_values(product, sku),
                spec_text=sku.spec_text,
                price_fen=sku.price_fen,
                available=level.available if (level := levels.get(sku.id)) else 0,
                image_url=media[sku.image_id].url if sku.image_id in media else None,
            )
            for sku in skus
        ],
        detail=detail_out(product.detail_blocks, media),
    )


def summary_out(product: Product, media: Mapping[int, MediaAsset]) -> ProductSummary:
    return ProductSummary(
        id=product.id,
        store_id=product.store_id,
        title=product.title,
        subtitle=product.subtitle,
        price_from_fen=product.price_from_fen,
        image_url=cover_url(product, media),
        sales_count=product.sales_count,
    )


def merchant_summary_out(
    product: Product, media: Mapping[int, MediaAsset]
) -> MerchantProductSummary:
    return MerchantProductSummary(
        **summary_out(product, media).model_dump(),
        status=product.status,
        category_id=product.category_id,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def category_tree(categories: Sequence[Category]) -> list[CategoryNode]:
    """Nest children under their parents, keeping the given order at each level."""
    nodes = {c.id: CategoryNode(id=c.id, name=c.name) for c in categories}
    roots = []
    for category in categories:
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


class FavouriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: RowId = Field(description="A product on sale now.")


class FavouriteOut(BaseModel):
    id: int = Field(description="The favourite's id (to remove it).")
    product_id: int
    title: str
    price_from_fen: int
    image_url: str | None
    on_sale: bool = Field(description="False once the product left the shop (已下架).")
    created_at: datetime
