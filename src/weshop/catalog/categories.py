"""A store's categories: two levels at most, names unique among siblings, each optionally
mapped onto a platform category (:mod:`weshop.catalog.platform_categories`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog import repository as repo
from weshop.catalog.models import Category
from weshop.catalog.platform_categories import usable_platform_category
from weshop.catalog.schemas import CategoryIn, CategoryPatch
from weshop.catalog.search import index_products, products_in_categories
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.tenancy import StoreScope

MAX_CATEGORIES = 200


async def list_categories(session: AsyncSession, scope: StoreScope) -> list[Category]:
    return await repo.categories_of(session, scope.store_id)


async def public_categories(session: AsyncSession, store_id: int) -> list[Category]:
    """An active store's categories; a suspended or unknown store answers 404."""
    if await repo.active_store(session, store_id) is None:
        raise NotFound("no such store")
    return await repo.categories_of(session, store_id)


async def get_category(session: AsyncSession, scope: StoreScope, category_id: int) -> Category:
    category = await repo.category(session, scope.store_id, category_id)
    if category is None:
        raise NotFound("no such category")
    return category


async def usable_category(session: AsyncSession, store_id: int, category_id: int) -> Category:
    """A category named in a request body: unknown is bad input (422), not a missing page."""
    category = await repo.category(session, store_id, category_id)
    if category is None:
        raise InvalidInput("no such category in this store", code="unknown_category")
    return category


async def _check_parent(
    session: AsyncSession, scope: StoreScope, parent_id: int, moving: Category | None
) -> None:
    parent = await usable_category(session, scope.store_id, parent_id)
    if parent.parent_id is not None:
        raise InvalidInput("categories have two levels at most", code="category_too_deep")
    if moving is not None:
        if parent.id == moving.id:
            raise InvalidInput("a category cannot be its own parent", code="category_too_deep")
        if await repo.has_children(session, moving.id):
            raise InvalidInput(
                "a category with children cannot move under another", code="category_too_deep"
            )


async def _check_name_free(
    session: AsyncSession,
    scope: StoreScope,
    parent_id: int | None,
    name: str,
    exclude_id: int | None = None,
) -> None:
    if await repo.sibling_named(session, scope.store_id, parent_id, name, exclude_id):
        raise Conflict("a category with this name is already there", code="duplicate_category")


async def create_category(session: AsyncSession, scope: StoreScope, data: CategoryIn) -> Category:
    if await repo.count_categories(session, scope.store_id) >= MAX_CATEGORIES:
        raise Conflict(f"a store has at most {MAX_CATEGORIES} categories", code="too_many")
    if data.parent_id is not None:
        await _check_parent(session, scope, data.parent_id, None)
    await _check_name_free(session, scope, data.parent_id, data.name)
    if data.platform_category_id is not None:
        await usable_platform_category(session, data.platform_category_id)
    category = Category(
        store_id=scope.store_id,
        parent_id=data.parent_id,
        name=data.name,
        sort_order=data.sort_order,
        platform_category_id=data.platform_category_id,
    )
    session.add(category)
    await session.flush()
    return category


async def update_category(
    session: AsyncSession, scope: StoreScope, category_id: int, patch: CategoryPatch
) -> Category:
    category = await get_category(session, scope, category_id)
    parent_id = category.parent_id
    if "parent_id" in patch.model_fields_set:
        parent_id = patch.parent_id
        if parent_id is not None:
            await _check_parent(session, scope, parent_id, category)
    name = patch.name if patch.name is not None else category.name
    await _check_name_free(session, scope, parent_id, name, exclude_id=category.id)
    platform_id = category.platform_category_id
    if "platform_category_id" in patch.model_fields_set:
        platform_id = patch.platform_category_id
        if platform_id is not None and platform_id != category.platform_category_id:
            await usable_platform_category(session, platform_id)
    searched_changed = (name, parent_id, platform_id) != (
        category.name,
        category.parent_id,
        category.platform_category_id,
    )
    category.parent_id = parent_id
    category.name = name
    category.platform_category_id = platform_id
    if patch.sort_order is not None:
        category.sort_order = patch.sort_order
    await session.flush()
    if searched_changed:
        # Its products' (and its children's) search documents hold the names it leads to.
        await index_products(session, await products_in_categories(session, [category.id]))
    return category


async def delete_category(session: AsyncSession, scope: StoreScope, category_id: int) -> None:
    category = await get_category(session, scope, category_id)
    if await repo.has_children(session, category.id):
        raise Conflict("move or delete its sub-categories first", code="category_has_children")
    if await repo.is_used_by_products(session, category.id):
        raise Conflict("products are in this category; move them first", code="category_in_use")
    await session.delete(category)
    await session.flush()
