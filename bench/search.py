"""Shop search benchmark: the trigram index against a plain LIKE scan, in the same run.

Makes a catalogue of ``--products`` (50,000) published products in 20 stores on a fresh
database migrated to head (a temporary SQLite file, or ``--database-url``: its public schema
is dropped and made again), with titles, colour and size specs and store and platform
categories drawn from clothing and food words, and their search documents written by
``weshop.catalog.search.index_products`` (the function every catalogue service calls).

Then, for each query, it times (mean and p50 over ``--repeat`` runs, after one warm-up) the
shop's search as the page runs it (``views.shop_products``, sort ``relevance``, 20 results:
the index) and the same page query with the filter written as a plain ``LIKE '%term%'`` on
every term over the same documents, no index (on PostgreSQL: the planner's index scans
turned off for that query), and prints both with the ratio and the number of matches::

    .venv/bin/python bench/search.py [--products 50000] [--repeat 20]
    .venv/bin/python bench/search.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weshop_bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from weshop.catalog import repository as repo
from weshop.catalog import search, views
from weshop.catalog.models import Category, PlatformCategory, Product
from weshop.core.migrations import upgrade_async
from weshop.stores.models import Store

COLOURS = ["黑色", "白色", "浅蓝", "深蓝", "灰色", "卡其", "酒红", "燕麦色", "藏青", "军绿"]
SIZES = ["S", "M", "L", "XL", "XXL", "28", "29", "30", "31", "32"]
KINDS = {
    "服饰": {
        "牛仔裤": ["直筒牛仔裤", "修身牛仔裤", "阔腿牛仔裤", "小脚牛仔裤"],
        "T恤": ["纯棉T恤", "圆领T恤", "短袖T恤", "印花T恤"],
        "卫衣": ["连帽卫衣", "圆领卫衣", "加绒卫衣"],
        "衬衫": ["牛津纺衬衫", "亚麻衬衫", "格子衬衫"],
        "袜子": ["棉袜", "船袜", "运动袜"],
    },
    "食品": {
        "茶叶": ["明前龙井", "安吉白茶", "武夷岩茶", "云南普洱"],
        "蜂蜜": ["百花蜜", "椴树蜜", "枣花蜜"],
        "干货": ["黑木耳", "香菇", "红枣"],
    },
}
ADJECTIVES = ["男款", "女款", "春季", "夏季", "秋冬", "新款", "经典", "宽松", "加厚", "有机"]
QUERIES = ["牛仔裤 黑色", "黑色", "纯棉t恤 白色 xl", "连帽卫衣", "龙井", "衬衫 亚麻", "不存在的词"]


async def make_catalogue(session: AsyncSession, products: int, seed: int) -> None:
    rng = random.Random(seed)
    platform: dict[str, int] = {}
    for top, children in KINDS.items():
        parent = PlatformCategory(name=top)
        session.add(parent)
        await session.flush()
        for child in children:
            node = PlatformCategory(name=child, parent_id=parent.id)
            session.add(node)
            await session.flush()
            platform[child] = node.id
    stores = [Store(name=f"店铺{n}") for n in range(20)]
    session.add_all(stores)
    await session.flush()
    categories: dict[tuple[int, str], int] = {}
    for store in stores:
        for kinds in KINDS.values():
            for kind in kinds:
                category = Category(
                    store_id=store.id, name=f"本店{kind}", platform_category_id=platform[kind]
                )
                session.add(category)
                await session.flush()
                categories[store.id, kind] = category.id
    kinds = [(kind, titles) for group in KINDS.values() for kind, titles in group.items()]
    rows = []
    for _ in range(products):
        store = rng.choice(stores)
        kind, titles = rng.choice(kinds)
        rows.append(
            {
                "store_id": store.id,
                "category_id": categories[store.id, kind],
                "title": f"{rng.choice(ADJECTIVES)}{rng.choice(titles)} {rng.choice(ADJECTIVES)}",
                "subtitle": "",
                "description": "",
                "status": "published",
                "specs": [
                    {"name": "颜色", "values": rng.sample(COLOURS, 3)},
                    {"name": "尺码", "values": rng.sample(SIZES, 4)},
                ],
                "image_ids": [],
                "price_from_fen": rng.randint(990, 59900),
                "sales_count": rng.randint(0, 500),
            }
        )
    for start in range(0, len(rows), 5000):
        await session.execute(insert(Product), rows[start : start + 5000])
    ids = list(await session.scalars(select(Product.id)))
    await search.index_products(session, ids)


def page_query(terms: list[str], dialect: str) -> Select[Any]:
    """The search page's first page, as ``views.shop_products`` ranks it. ``dialect``
    "like" gives the baseline: every term as a plain LIKE over the documents."""
    hits = search.title_hits(terms)
    return (
        repo.shop_products_query(None, None, terms, dialect)
        .add_columns(hits)
        .order_by(hits.desc(), Product.sales_count.desc(), Product.id.desc())
        .limit(21)
    )


async def timed(call, repeat: int) -> tuple[float, float]:
    await call()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.mean(runs), statistics.median(runs)


async def run(url: str, products: int, repeat: int) -> None:
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade_async(url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        await make_catalogue(session, products, seed=17)
    took = time.perf_counter() - started
    print(f"{engine.dialect.name}: {products} products indexed in {took:.1f} s")
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    heads = ("matches", "index ms", "p50", "LIKE ms", "p50", "ratio")
    print(f"{'query':<22}" + "".join(f"{head:>10}" for head in heads))
    async with sessions() as session:
        pg = engine.dialect.name == "postgresql"
        for q in QUERIES:
            terms = search.terms_of(q)

            async def indexed(q: str = q) -> None:
                await views.shop_products(
                    session,
                    store_id=None,
                    category_id=None,
                    q=q,
                    sort="relevance",
                    cursor=None,
                    limit=20,
                )

            async def scanned(terms: list[str] = terms) -> None:
                if pg:
                    await session.execute(text("SET enable_bitmapscan = off"))
                    await session.execute(text("SET enable_indexscan = off"))
                await session.execute(page_query(terms, "like"))
                if pg:
                    await session.execute(text("RESET enable_bitmapscan"))
                    await session.execute(text("RESET enable_indexscan"))

            counted = repo.shop_products_query(None, None, terms, engine.dialect.name)
            matches = await session.scalar(select(func.count()).select_from(counted.subquery()))
            index_mean, index_p50 = await timed(indexed, repeat)
            like_mean, like_p50 = await timed(scanned, repeat)
            print(
                f"{q:<22}{matches:>10}{index_mean:>10.2f}{index_p50:>10.2f}"
                f"{like_mean:>10.2f}{like_p50:>10.2f}{like_mean / index_mean:>10.1f}"
            )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'search.db'}"
    try:
        asyncio.run(run(url, args.products, args.repeat))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
