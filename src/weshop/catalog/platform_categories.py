"""The platform's category tree, shared by all stores and kept by the platform operator.

Two levels, names unique among siblings. Stores map their own categories onto it; the fee
schedule is set per platform category; search finds products by its names. A category is
retired rather than deleted (fee rates and paid orders' terms may name it), and only when
nothing uses it: no store category maps onto it and it has no sub-category still in use.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Category, PlatformCategory
from weshop.catalog.schemas import PlatformCategoryIn, PlatformCategoryPatch
from weshop.catalog.search import index_products, products_under_platform
from weshop.core.errors import Conflict, InvalidInput, NotFound

MAX_PLATFORM_CATEGORIES = 500


async def platform_tree(
    session: AsyncSession, *, with_retired: bool = False
) -> list[PlatformCategory]:
    """Every platform category, parents before their children, each level in sort order."""
    query = select(PlatformCategory).order_by(PlatformCategory.sort_order, PlatformCategory.id)
    if not with_retired:
        query = query.where(PlatformCategory.retired.is_(False))
    rows = list(await session.scalars(query))
    children: dict[int | None, list[PlatformCategory]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered = []
    for root in children.get(None, []):
        ordered.append(root)
        ordered.extend(children.get(root.id, []))
    return ordered


async def get_platform_category(session: AsyncSession, category_id: int) -> PlatformCategory:
    category = await session.get(PlatformCategory, category_id)
    if category is None:
        raise NotFound("no such platform category")
    return category


async def usable_platform_category(session: AsyncSession, category_id: int) -> PlatformCategory:
    """A platform category named in a request body: unknown or retired answers 404 (a
    well-formed id this installation does not have)."""
    category = await session.get(PlatformCategory, category_id)
    if category is None or category.retired:
        raise NotFound("no such platform category")
    return category


async def _check_parent(
    session: AsyncSession, parent_id: int, moving: PlatformCategory | None
) -> None:
    parent = await usable_platform_category(session, parent_id)
    if parent.parent_id is not None:
        raise InvalidInput("categories have two levels at most", code="category_too_deep")
    if moving is not None:
        if parent.id == moving.id:
            raise InvalidInput("a category cannot be its own parent", code="category_too_deep")
        has_children = await session.scalar(
            select(PlatformCategory.id).where(PlatformCategory.parent_id == moving.id).limit(1)
        )
        if has_children is not None:
            raise InvalidInput(
                "a category with children cannot move under another", code="category_too_deep"
            )


async def _check_name_free(
    session: AsyncSession, parent_id: int | None, name: str, exclude_id: int | None = None
) -> None:
    query = select(PlatformCategory.id).where(
        PlatformCategory.parent_id.is_(None)
        if parent_id is None
        else PlatformCategory.parent_id == parent_id,
        PlatformCategory.name == name,
        PlatformCategory.retired.is_(False),
    )
    if exclude_id is not None:
        query = query.where(PlatformCategory.id != exclude_id)
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict("a category with this name is already there", code="duplicate_category")


async def create_platform_category(
    session: AsyncSession, data: PlatformCategoryIn
) -> PlatformCategory:
    count = await session.scalar(select(func.count()).select_from(PlatformCategory))
    if count >= MAX_PLATFORM_CATEGORIES:
        raise Conflict(
            f"the platform has at most {MAX_PLATFORM_CATEGORIES} categories", code="too_many"
        )
    if data.parent_id is not None:
        await _check_parent(session, data.parent_id, None)
    await _check_name_free(session, data.parent_id, data.name)
    category = PlatformCategory(
        parent_id=data.parent_id, name=data.name, sort_order=data.sort_order
    )
    session.add(category)
    await session.flush()
    return category


async def update_platform_category(
    session: AsyncSession, category_id: int, patch: PlatformCategoryPatch
) -> PlatformCategory:
    """Rename, reorder or move; the search documents of the products under it follow."""
    category = await get_platform_category(session, category_id)
    if category.retired:
        raise Conflict("a retired category cannot be changed", code="category_retired")
    parent_id = category.parent_id
    if "parent_id" in patch.model_fields_set:
        parent_id = patch.parent_id
        if parent_id is not None:
            await _check_parent(session, parent_id, category)
    name = patch.name if patch.name is not None else category.name
    await _check_name_free(session, parent_id, name, exclude_id=category.id)
    renamed_or_moved = name != category.name or parent_id != category.parent_id
    category.parent_id, category.name = parent_id, name
    if patch.sort_order is not None:
        category.sort_order = patch.sort_order
    await session.flush()
    if renamed_or_moved:
        await index_products(session, await products_under_platform(session, category.id))
    return category


async def retire_platform_category(session: AsyncSession, category_id: int) -> PlatformCategory:
    """Take an unused category out of the tree (stores can no longer map onto it)."""
    category = await get_platform_category(session, category_id)
    if category.retired:
        return category
    live_child = await session.scalar(
        select(PlatformCategory.id)
        .where(PlatformCategory.parent_id == category.id, PlatformCategory.retired.is_(False))
        .limit(1)
    )
    if live_child is not None:
        raise Conflict("retire its sub-categories first", code="category_has_children")
    mapped = await session.scalar(
        select(Category.id).where(Category.platform_category_id == category.id).limit(1)
    )
    if mapped is not None:
        raise Conflict("store categories map onto this category", code="category_in_use")
    category.retired = True
    await session.flush()
    return category
