"""Shop search: every term of the query must be found in a product's search document (its
title, subtitle, spec values, store category and platform category names).

Chinese has no spaces between words, so the document is matched by substrings, served by a
trigram index: SQLite's FTS5 ``trigram`` tokenizer, PostgreSQL's ``pg_trgm`` GIN index (both
made by the migration). A trigram index cannot look up a term shorter than three characters
(黑色, 衬衫, T恤), and most Chinese words are two characters long, so:

- SQLite: terms of three or more characters go to the FTS5 index (MATCH, one phrase each);
  shorter ones are ``LIKE`` on the document, checked only on the rows the index found.
- PostgreSQL: every term is ``LIKE '%term%'`` on the document; the planner looks the long ones
  up in the GIN index and filters the index's rows with the short ones.

A query of short terms only reads every document (a scan of one narrow table, still well
under the catalogue's size; see ``bench/search.py``).

Ranking: the number of terms found in the title first, then sales, then the newest.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from weshop.catalog.models import Category, PlatformCategory, Product, ProductSearchDoc

MAX_TERMS = 8
TRIGRAM = 3
_CHUNK = 500

_FTS = table("product_search_fts", column("rowid"), column("product_search_fts"))


def terms_of(q: str | None) -> list[str]:
    """The distinct lower-cased words of a query, in order, at most ``MAX_TERMS``."""
    found: list[str] = []
    for word in (q or "").lower().split():
        if word not in found:
            found.append(word)
    return found[:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _indexed(terms: Sequence[str], dialect: str) -> list[str]:
    return [term for term in terms if len(term) >= TRIGRAM] if dialect == "sqlite" else []


def index_hits(terms: Sequence[str], dialect: str) -> Subquery | None:
    """SQLite: the ids of the documents holding every term of 3+ characters, from the FTS5
    index (one phrase per term), to join the products on; None when the index cannot help.

    A join on a derived table, not ``id IN (...)``: without statistics SQLite's planner
    would walk the status index over every published product instead of starting from the
    index's few ids."""
    indexed = _indexed(terms, dialect)
    if not indexed:
        return None
    expression = " AND ".join(_phrase(term) for term in indexed)
    return (
        select(_FTS.c.rowid.label("product_id"))
        .where(_FTS.c.product_search_fts.op("MATCH")(expression))
        .subquery("search_hits")
    )


def scanned(terms: Sequence[str], dialect: str) -> ColumnElement[bool] | None:
    """The terms the index does not look up, as ``LIKE`` on the document (on PostgreSQL all
    of them: the GIN trigram index serves ``LIKE`` itself)."""
    indexed = _indexed(terms, dialect)
    rest = [term for term in terms if term not in indexed]
    if not rest:
        return None
    return and_(*(ProductSearchDoc.doc.like(_like(term), escape="\\") for term in rest))


def title_hits(terms: Sequence[str]) -> ColumnElement[int]:
    """How many of the terms the title holds: the relevance a result is ranked by."""
    hits = [
        case((ProductSearchDoc.title.like(_like(term), escape="\\"), 1), else_=0) for term in terms
    ]
    return functools.reduce(operator.add, hits) if hits else literal(0)


def _document(
    title: str, subtitle: str, specs: list[dict[str, Any]], names: Iterable[str | None]
) -> tuple[str, str]:
    values = [str(value) for spec in specs or [] for value in spec.get("values", [])]
    parts = [title, subtitle, *values, *(name for name in names if name)]
    return title.lower(), "\n".join(part.lower() for part in parts if part)


async def index_products(session: AsyncSession, product_ids: Iterable[int]) -> None:
    """(Re)write the search documents of these products from what they are now.

    Every catalogue service that changes what a document holds calls it: creating or editing
    a product, changing its specs, renaming or re-mapping a category, renaming or moving a
    platform category. Status is not in the document: search joins the live product row.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return
    await session.flush()
    parent = aliased(Category)
    platform = aliased(PlatformCategory)
    platform_parent = aliased(PlatformCategory)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = await session.execute(
            select(
                Product.id,
                Product.title,
                Product.subtitle,
                Product.specs,
                Category.name,
                parent.name,
                platform.name,
                platform_parent.name,
            )
            .outerjoin(Category, Category.id == Product.category_id)
            .outerjoin(parent, parent.id == Category.parent_id)
            .outerjoin(
                platform,
                platform.id
                == func.coalesce(Category.platform_category_id, parent.platform_category_id),
            )
            .outerjoin(platform_parent, platform_parent.id == platform.parent_id)
            .where(Product.id.in_(chunk))
        )
        docs = []
        for product_id, title, subtitle, specs, *names in rows:
            title_text, doc = _document(title, subtitle, specs, names)
            docs.append({"product_id": product_id, "title": title_text, "doc": doc})
        await session.execute(
            delete(ProductSearchDoc).where(ProductSearchDoc.product_id.in_(chunk))
        )
        if docs:
            await session.execute(insert(ProductSearchDoc), docs)


async def products_in_categories(session: AsyncSession, category_ids: Iterable[int]) -> list[int]:
    """Products filed under these store categories or their children."""
    wanted = set(category_ids)
    if not wanted:
        return []
    family = select(Category.id).where(Category.id.in_(wanted) | Category.parent_id.in_(wanted))
    return list(await session.scalars(select(Product.id).where(Product.category_id.in_(family))))


async def products_under_platform(session: AsyncSession, platform_id: int) -> list[int]:
    """Products whose store category maps onto this platform category or one below it."""
    platforms = select(PlatformCategory.id).where(
        (PlatformCategory.id == platform_id) | (PlatformCategory.parent_id == platform_id)
    )
    mapped = select(Category.id).where(Category.platform_category_id.in_(platforms))
    return await products_in_categories(session, list(await session.scalars(mapped)))


def highlight(text: str, terms: Sequence[str]) -> Markup:
    """``text`` escaped, with every occurrence of a term (any case) in ``<mark>``."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: match as is
        lowered = text
    spans: list[list[int]] = []
    for term in terms:
        start = lowered.find(term)
        while term and start != -1:
            spans.append([start, start + len(term)])
            start = lowered.find(term, start + 1)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def spec_hits(specs: list[dict[str, Any]], terms: Sequence[str]) -> list[Markup]:
    """The spec values a query found, highlighted (what matched besides the title)."""
    values = [str(value) for spec in specs or [] for value in spec.get("values", [])]
    return [
        highlight(value, terms) for value in values if any(term in value.lower() for term in terms)
    ]
