"""CSV import of products with their SKUs: one row per SKU, a product's rows grouped by its
product key (or, without one, its title).

The whole file is checked before anything is written, and every bad row is reported with
its line number; a file with any error writes nothing. SKU codes are the file's identity: a
code the store already has is refused (so importing the same file twice creates nothing the
second time), and prices change in the SKU table, not by importing again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog import service
from weshop.catalog.models import Category
from weshop.catalog.schemas import (
    MAX_SKUS,
    MAX_SPECS,
    ImportErrorOut,
    ImportPreviewOut,
    ImportProductOut,
    ProductCreate,
    SkuOverride,
    SpecIn,
    SpecOut,
)
from weshop.core.errors import InvalidInput
from weshop.core.money import MAX_UNIT_PRICE_FEN
from weshop.core.spreadsheets import safe_cell
from weshop.core.tenancy import StoreScope
from weshop.inventory.service import MAX_STOCK

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 2000
BOM = "\ufeff"

# Each column: its key (accepted as a header) and the header the template writes.
COLUMNS = [
    ("product_key", "商品编号"),
    ("title", "商品标题"),
    ("subtitle", "卖点"),
    ("category", "分类"),
    ("spec1_name", "规格1名称"),
    ("spec1_value", "规格1值"),
    ("spec2_name", "规格2名称"),
    ("spec2_value", "规格2值"),
    ("spec3_name", "规格3名称"),
    ("spec3_value", "规格3值"),
    ("sku_code", "SKU编码"),
    ("price", "价格（元）"),
    ("stock", "库存"),
    ("weight_grams", "重量（克）"),
]
REQUIRED = ("title", "sku_code", "price", "stock")
PRODUCT_COLUMNS = ("title", "subtitle", "category")
EXAMPLE_ROWS = [
    ["T001", "纯棉T恤", "透气不起球", "上衣", "颜色", "白", "尺码", "M", "", "", "T001-W-M"],
    ["T001", "纯棉T恤", "透气不起球", "上衣", "颜色", "白", "尺码", "L", "", "", "T001-W-L"],
    ["T001", "纯棉T恤", "透气不起球", "上衣", "颜色", "黑", "尺码", "M", "", "", "T001-B-M"],
    ["T001", "纯棉T恤", "透气不起球", "上衣", "颜色", "黑", "尺码", "L", "", "", "T001-B-L"],
    ["M002", "保温杯", "", "", "", "", "", "", "", "", "M002"],
]
EXAMPLE_NUMBERS = [
    ["59.90", "20", "200"],
    ["59.90", "20", "210"],
    ["59.90", "15", "200"],
    ["62.00", "15", "210"],
    ["89", "50", "350"],
]

# ASCII digits only: \d would also take full-width and other scripts' digits.
_YUAN = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")
_WHOLE = re.compile(r"^[0-9]{1,9}$")
_SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LIMITS = {"title": 60, "subtitle": 120, "category": 61, "product_key": 64}


def parse_yuan(text: str) -> int:
    """``"59.9"`` -> ``5990`` fen, exactly (no binary floating point); a thousands comma or
    a leading ¥ is allowed. Anything else (more than two decimals, a sign, an exponent)
    raises ``ValueError``."""
    cleaned = text.strip().removeprefix("¥").removeprefix("￥").replace(",", "")
    if not _YUAN.match(cleaned):
        raise ValueError(f"not an amount in yuan: {text!r}")
    fen = int(Decimal(cleaned) * 100)
    if fen > MAX_UNIT_PRICE_FEN:
        raise ValueError("the price is too large")
    return fen


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: str
    message: str


@dataclass
class SkuRow:
    line: int
    spec_values: dict[str, str]
    sku_code: str
    price_fen: int
    stock: int
    weight_grams: int


@dataclass
class ProductPlan:
    line: int
    key: str
    title: str
    subtitle: str
    category: str
    category_id: int | None = None
    spec_names: list[str] = field(default_factory=list)
    skus: list[SkuRow] = field(default_factory=list)

    def specs(self) -> list[SpecIn]:
        values: dict[str, list[str]] = {name: [] for name in self.spec_names}
        for sku in self.skus:
            for name, value in sku.spec_values.items():
                if value not in values[name]:
                    values[name].append(value)
        return [SpecIn(name=name, values=found) for name, found in values.items()]

    def create_body(self) -> ProductCreate:
        return ProductCreate(
            title=self.title,
            subtitle=self.subtitle,
            category_id=self.category_id,
            specs=self.specs(),
            default_price_fen=self.skus[0].price_fen,
            default_stock=0,
            skus=[
                SkuOverride(
                    spec_values=sku.spec_values,
                    price_fen=sku.price_fen,
                    stock=sku.stock,
                    sku_code=sku.sku_code,
                    weight_grams=sku.weight_grams,
                )
                for sku in self.skus
            ],
        )


@dataclass
class ImportPlan:
    products: list[ProductPlan]
    errors: list[RowError]

    @property
    def sku_count(self) -> int:
        return sum(len(product.skus) for product in self.products)


def template_csv() -> bytes:
    """The template: UTF-8 with a BOM (so Excel reads the Chinese), example rows, every cell
    formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(label) for _, label in COLUMNS])
    for texts, numbers in zip(EXAMPLE_ROWS, EXAMPLE_NUMBERS, strict=True):
        writer.writerow([safe_cell(cell) for cell in [*texts, *numbers]])
    return (BOM + out.getvalue()).encode("utf-8")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030, as Excel in Chinese saves
    CSV by default."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                "the file is not a CSV in UTF-8 or GB18030", code="import_not_csv"
            ) from exc


def _header(cells: list[str]) -> tuple[dict[str, int], list[RowError]]:
    by_name = {key: key for key, _ in COLUMNS} | {label: key for key, label in COLUMNS}
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = by_name.get(cell.strip().lstrip("'"))
        if key is not None and key not in positions:
            positions[key] = index
    missing = [key for key in REQUIRED if key not in positions]
    return positions, [
        RowError(1, key, "missing_column", f"the header has no {key} column") for key in missing
    ]


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        yield reader.line_num, cells


class _Row:
    """One data row's cells by column key, collecting its errors."""

    def __init__(self, line: int, cells: list[str], positions: dict[str, int]) -> None:
        self.line = line
        self.errors: list[RowError] = []
        self.cells = {
            key: cells[index].strip() if index < len(cells) else ""
            for key, index in positions.items()
        }

    def error(self, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, code, message))

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.error(column, "required", f"{column} is required")
        elif len(value) > _LIMITS.get(column, 40):
            self.error(column, "too_long", f"{column} is longer than {_LIMITS.get(column, 40)}")
        return value

    def number(self, column: str, maximum: int, *, required: bool) -> int:
        value = self.cells.get(column, "")
        if not value and not required:
            return 0
        if not _WHOLE.match(value) or int(value) > maximum:
            self.error(column, "invalid_quantity", f"{column} must be a whole number 0-{maximum}")
            return 0
        return int(value)


def _spec_values(row: _Row) -> dict[str, str]:
    values: dict[str, str] = {}
    for n in range(1, MAX_SPECS + 1):
        name = row.text(f"spec{n}_name")
        value = row.text(f"spec{n}_value")
        if not name and not value:
            continue
        bad_name = not name or ":" in name or "|" in name or len(name) > 20
        if bad_name or name in values:
            row.error(
                f"spec{n}_name", "invalid_spec", "a spec needs a distinct name without : or |"
            )
        elif not value or "|" in value:
            row.error(f"spec{n}_value", "invalid_spec", "a spec value is required, without |")
        else:
            values[name] = value
    return values


def _read_row(row: _Row) -> tuple[SkuRow | None, dict[str, str]]:
    product = {column: row.text(column) for column in PRODUCT_COLUMNS}
    product["key"] = row.text("product_key") or product["title"]
    if not product["key"]:
        row.error("title", "required", "title is required")
    spec_values = _spec_values(row)
    code = row.text("sku_code", required=True)
    if code and not _SKU_CODE.match(code):
        row.error("sku_code", "invalid_sku_code", "use letters, digits, '.', '_' or '-'")
    price_text = row.cells.get("price", "")
    price = 0
    try:
        price = parse_yuan(price_text)
    except ValueError:
        row.error("price", "invalid_price", "the price must be yuan with at most 2 decimals")
    stock = row.number("stock", MAX_STOCK, required=True)
    weight = row.number("weight_grams", 1_000_000, required=False)
    if row.errors:
        return None, product
    return SkuRow(row.line, spec_values, code, price, stock, weight), product


def _check_product(plan: ProductPlan, errors: list[RowError]) -> None:
    """The product's rows must make its whole spec matrix, each combination once."""
    seen: set[tuple[tuple[str, str], ...]] = set()
    for sku in plan.skus:
        combination = tuple(sku.spec_values.items())
        if combination in seen:
            errors.append(
                RowError(
                    sku.line, "spec1_value", "duplicate_combination", "this combination repeats"
                )
            )
        seen.add(combination)
    specs = plan.specs()
    wanted = 1
    for spec in specs:
        wanted *= len(spec.values)
    if wanted > MAX_SKUS:
        errors.append(RowError(plan.line, "spec1_value", "too_many_skus", "too many combinations"))
    elif len(seen) != wanted:
        errors.append(
            RowError(
                plan.line,
                "spec1_value",
                "incomplete_matrix",
                f"the product's rows make {len(seen)} of its {wanted} spec combinations",
            )
        )


def read_csv(data: bytes) -> ImportPlan:
    """The file's products and SKUs, or its errors; no database needed."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 2 MB", code="import_too_large")
    rows = [(line, cells) for line, cells in _rows(_decode(data)) if any(c.strip() for c in cells)]
    if not rows:
        raise InvalidInput("the file is empty", code="import_empty")
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise InvalidInput(
            f"a file has {MAX_IMPORT_ROWS} rows at most", code="import_too_many_rows"
        )
    positions, errors = _header(rows[0][1])
    if errors:
        return ImportPlan(products=[], errors=errors)
    products: dict[str, ProductPlan] = {}
    codes: dict[str, int] = {}
    for line, cells in rows[1:]:
        row = _Row(line, cells, positions)
        sku, fields = _read_row(row)
        errors.extend(row.errors)
        if sku is None:
            continue
        if sku.sku_code in codes:
            errors.append(
                RowError(
                    line, "sku_code", "duplicate_sku_code", f"also on line {codes[sku.sku_code]}"
                )
            )
            continue
        codes[sku.sku_code] = line
        plan = products.get(fields["key"])
        if plan is None and not fields["title"]:
            errors.append(RowError(line, "title", "required", "title is required"))
            continue
        if plan is None:
            plan = products[fields["key"]] = ProductPlan(
                line=line,
                key=fields["key"],
                title=fields["title"],
                subtitle=fields["subtitle"],
                category=fields["category"],
                spec_names=list(sku.spec_values),
            )
        # A product's later rows may leave its columns blank; filled in, they must agree.
        mismatched = [c for c in PRODUCT_COLUMNS if fields[c] and fields[c] != getattr(plan, c)]
        if list(sku.spec_values) != plan.spec_names:
            mismatched.append("spec1_name")
        for column in mismatched:
            errors.append(
                RowError(line, column, "product_mismatch", f"differs from line {plan.line}")
            )
        if not mismatched:
            plan.skus.append(sku)
    for plan in products.values():
        _check_product(plan, errors)
    return ImportPlan(products=list(products.values()), errors=errors)


def _category_ids(categories: list[Category]) -> dict[str, int | None]:
    """Each category by its name and by ``parent/child``; a name two categories share maps
    to None (ambiguous)."""
    by_id = {category.id: category for category in categories}
    names: dict[str, int | None] = {}
    for category in categories:
        parent = by_id.get(category.parent_id) if category.parent_id else None
        names[category.name] = None if category.name in names else category.id
        if parent is not None:
            names[f"{parent.name}/{category.name}"] = category.id
    return names


async def preview(session: AsyncSession, scope: StoreScope, data: bytes) -> ImportPlan:
    """The file checked against the store too: its categories and its SKU codes."""
    plan = read_csv(data)
    categories = _category_ids(await repo.categories_of(session, scope.store_id))
    for product in plan.products:
        if not product.category:
            continue
        if product.category not in categories:
            plan.errors.append(
                RowError(product.line, "category", "unknown_category", "no such category")
            )
        elif (category_id := categories[product.category]) is None:
            plan.errors.append(
                RowError(
                    product.line,
                    "category",
                    "ambiguous_category",
                    "two categories have this name; write parent/child",
                )
            )
        else:
            product.category_id = category_id
    codes = [sku.sku_code for product in plan.products for sku in product.skus]
    taken = await repo.taken_sku_codes(session, scope.store_id, codes)
    for product in plan.products:
        for sku in product.skus:
            if sku.sku_code in taken:
                plan.errors.append(
                    RowError(sku.line, "sku_code", "sku_code_taken", "the store has this SKU code")
                )
    plan.errors.sort(key=lambda error: (error.line, error.column))
    return plan


async def import_products(
    session: AsyncSession, scope: StoreScope, data: bytes
) -> list[service.ProductDetail]:
    """Create every product of the file as a draft, or nothing when any row is bad."""
    plan = await preview(session, scope, data)
    if plan.errors:
        raise InvalidInput(
            f"{len(plan.errors)} problems in the file; nothing was imported",
            code="import_rejected",
            details={
                "errors": [
                    {"line": e.line, "column": e.column, "code": e.code, "message": e.message}
                    for e in plan.errors
                ]
            },
        )
    return [
        await service.create_product(session, scope, product.create_body())
        for product in plan.products
    ]


def preview_out(plan: ImportPlan) -> ImportPreviewOut:
    return ImportPreviewOut(
        products=[
            ImportProductOut(
                line=product.line,
                title=product.title,
                category=product.category,
                specs=[SpecOut(name=s.name, values=s.values) for s in product.specs()],
                sku_count=len(product.skus),
                price_from_fen=min((sku.price_fen for sku in product.skus), default=0),
                stock_total=sum(sku.stock for sku in product.skus),
            )
            for product in plan.products
        ],
        sku_count=plan.sku_count,
        errors=[
            ImportErrorOut(line=e.line, column=e.column, code=e.code, message=e.message)
            for e in plan.errors
        ],
    )
