"""Visits of the shop's pages: noted in memory on the request path, written in batches; unique
visitors per store and day; crawlers and prefetches left out; several processes add up."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from tests.catalog.visits_support import browser, counters, token_of
from weshop.catalog.visits import COMPONENT, Visitor, VisitRecorder
from weshop.core.clock import utcnow


async def test_views_are_written_in_one_batch_not_per_request(app, api, runtime) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    recorder: VisitRecorder = runtime.components[COMPONENT]
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.lstrip().upper())

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with browser(app) as phone:
            for _ in range(20):
                assert (await phone.get(f"/p/{product['id']}")).status_code == 200
                assert (await phone.get(f"/s/{store_id}")).status_code == 200
        writes_while_browsing = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
        statements.clear()
        await recorder.flush(runtime.db)
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", listen)
    assert writes_while_browsing == []
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
    # One statement per table (counters and visitor sets of store and product), whatever N.
    assert len(writes) == 4, writes
    assert await counters(runtime, store_id) == {
        "page_views": 40,  # a product page is a page of its store too
        "visitors": 1,
        "product_views": 20,
        "product_visitors": 1,
        "history": 0,  # a guest has no history
    }
    assert len(recorder) == 0


async def test_visitors_are_unique_per_store_and_day(app, api, runtime) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    shopper = await api.sign_in()
    async with browser(app) as guest, browser(app) as other_guest:
        await guest.get(f"/s/{store_id}")
        await guest.get(f"/p/{product['id']}")
        await other_guest.get(f"/p/{product['id']}")
    async with browser(app, token_of(shopper)) as signed_in:
        await signed_in.get(f"/p/{product['id']}")
    # The same shopper on another phone is the same visitor.
    async with browser(app, token_of(shopper)) as second_phone:
        await second_phone.get(f"/s/{store_id}")
    await runtime.components[COMPONENT].flush(runtime.db)
    figures = await counters(runtime, store_id)
    assert figures == {
        "page_views": 5,
        "visitors": 3,
        "product_views": 3,
        "product_visitors": 3,
        "history": 1,
    }


async def test_crawlers_scripts_prefetches_and_misses_are_not_counted(app, api, client, runtime):
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    async with browser(app) as phone:
        await phone.get(f"/p/{product['id']}", headers={"User-Agent": "Googlebot/2.1"})
        await phone.get(f"/p/{product['id']}", headers={"Sec-Purpose": "prefetch"})
        await phone.get(f"/p/{product['id']}", headers={"User-Agent": ""})
        assert (await phone.get("/p/999999")).status_code == 404
    await client.get(f"/s/{store_id}")  # python-httpx: a script
    await runtime.components[COMPONENT].flush(runtime.db)
    assert (await counters(runtime, store_id))["page_views"] == 0


async def test_two_processes_flushing_into_one_day_add_up(app, api, runtime) -> None:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner)
    first, second = VisitRecorder(), VisitRecorder()
    now = utcnow()
    both = Visitor(None, "b" * 32)
    for index in range(3):
        first.product_view(product["id"], Visitor(None, f"first-{index:026d}"), now)
        second.product_view(product["id"], Visitor(None, f"second-{index:025d}"), now)
    first.store_view(store_id, both, now)
    second.store_view(store_id, both, now)
    await asyncio.gather(first.flush(runtime.db), second.flush(runtime.db))
    await first.flush(runtime.db)
    first.store_view(store_id, both, now)
    await first.flush(runtime.db)
    assert await counters(runtime, store_id) == {
        "page_views": 9,
        "visitors": 7,
        "product_views": 6,
        "product_visitors": 6,
        "history": 0,
    }


async def test_a_view_of_a_store_now_gone_never_blocks_the_others(app, api, runtime) -> None:
    store_id, _owner = await api.new_store()
    recorder, now = VisitRecorder(), utcnow()
    recorder.store_view(store_id + 1000, Visitor(None, "g" * 32), now)  # no such store
    recorder.store_view(store_id, Visitor(None, "h" * 32), now)
    await recorder.flush(runtime.db)
    assert len(recorder) == 0  # written, not put back for a flush that would fail again
    assert (await counters(runtime, store_id))["page_views"] == 1
