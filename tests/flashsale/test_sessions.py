"""Sessions and items through the API: flash stock taken from and given back to regular
stock, bad data refused with a clear 4xx that writes nothing, another store's SKU, the
refusal codes of an attempt, idempotent repeats, units back once on cancellation (paid or
not) and, after the session, to regular stock (in a store with warehouses: its default
warehouse); the storefront's and the figures' view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.flashsale.conftest import (
    attempt,
    item_row,
    merchant_url,
    open_flash,
    regular_stock,
    session_body,
    shoppers,
    start_now,
)
from tests.inventory.warehouse_shop import WarehouseShop, check_sums
from tests.orders.conftest import open_shop
from tests.support import expect
from weshop.core.clock import utcnow


def error_code(response) -> str:
    return response.json()["error"]["code"]


async def new_session(api, shop, **changes):
    return expect(
        await api.client.post(
            merchant_url(shop.store["id"]), json=session_body(**changes), headers=shop.owner
        ),
        201,
    )


def item_body(sku_id: int, **changes) -> dict:
    return {"sku_id": sku_id, "flash_price_fen": 990, "flash_stock": 10, **changes}


async def add_item(api, shop, session_id, body):
    return await api.client.post(
        merchant_url(shop.store["id"], f"/{session_id}/items"), json=body, headers=shop.owner
    )


async def test_items_take_flash_stock_from_regular_stock_and_stopping_gives_back_the_rest(
    api, runtime
):
    shop = await open_shop(api, stock=50, price_fen=9900)
    session = await new_session(api, shop)
    item = expect(await add_item(api, shop, session["id"], item_body(shop.sku_id)), 201)
    assert item["flash_stock"] == 10 and item["sold"] == 0 and item["price_fen"] == 9900
    assert await regular_stock(runtime, shop.sku_id) == 40

    await start_now(runtime, session["id"])
    [buyer] = await shoppers(runtime, 1)
    expect(await attempt(api.client, item["id"], buyer), 201)
    stopped = expect(
        await api.client.post(
            merchant_url(shop.store["id"], f"/{session['id']}/stop"), headers=shop.owner
        ),
        200,
    )
    assert stopped["status"] == "ended" and stopped["phase"] == "over"
    assert stopped["items"][0]["returned_to_stock"] == 9
    assert await regular_stock(runtime, shop.sku_id) == 49
    again = await api.client.post(
        merchant_url(shop.store["id"], f"/{session['id']}/stop"), headers=shop.owner
    )
    assert again.status_code == 409
    assert error_code(await attempt(api.client, item["id"], buyer)) == "ended"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"flash_price_fen": 0}, 422, "invalid_price"),
        ({"flash_price_fen": 9901}, 422, "flash_price_above_price"),
        ({"flash_stock": 51}, 422, "flash_stock_above_stock"),
        ({"flash_stock": 0}, 422, "invalid_input"),
        ({"per_shopper_limit": 0}, 422, "invalid_input"),
        ({"flash_price_fen": "990"}, 422, "invalid_input"),
    ],
)
async def test_bad_items_are_refused_and_write_nothing(api, runtime, changes, status, code):
    shop = await open_shop(api, stock=50, price_fen=9900)
    session = await new_session(api, shop)
    answer = await add_item(api, shop, session["id"], item_body(shop.sku_id, **changes))
    assert answer.status_code == status and error_code(answer) == code
    assert await regular_stock(runtime, shop.sku_id) == 50
    detail = expect(
        await api.client.get(
            merchant_url(shop.store["id"], f"/{session['id']}"), headers=shop.owner
        ),
        200,
    )
    assert detail["items"] == []


async def test_a_window_that_ends_before_it_starts_is_refused(api):
    shop = await open_shop(api)
    now = utcnow()
    for starts, ends, code in [
        (now + timedelta(hours=2), now + timedelta(hours=1), "invalid_window"),
        (now - timedelta(hours=2), now - timedelta(hours=1), "window_in_past"),
        (now, now + timedelta(days=8), "session_too_long"),
    ]:
        answer = await api.client.post(
            merchant_url(shop.store["id"]),
            json=session_body(starts_at=starts.isoformat(), ends_at=ends.isoformat()),
            headers=shop.owner,
        )
        assert answer.status_code == 422 and error_code(answer) == code
    listed = expect(await api.client.get(merchant_url(shop.store["id"]), headers=shop.owner), 200)
    assert listed["items"] == []


async def test_another_stores_sku_and_session_answer_404(api, runtime):
    mine = await open_shop(api)
    theirs = await open_shop(api)
    session = await new_session(api, mine)
    answer = await add_item(api, mine, session["id"], item_body(theirs.product["skus"][0]["id"]))
    assert answer.status_code == 404 and error_code(answer) == "sku_not_found"
    assert await regular_stock(runtime, theirs.sku_id) == 10
    foreign = await api.client.get(
        merchant_url(theirs.store["id"], f"/{session['id']}"), headers=theirs.owner
    )
    assert foreign.status_code == 404


async def test_a_started_session_cannot_be_changed(api, runtime):
    flash = await open_flash(api)
    store_id, session_id = flash.store_id, flash.session["id"]
    owner = flash.shop.owner
    edit = await api.client.patch(
        merchant_url(store_id, f"/{session_id}"), json={"title": "改名"}, headers=owner
    )
    assert edit.status_code == 409 and error_code(edit) == "session_started"
    remove = await api.client.delete(
        merchant_url(store_id, f"/{session_id}/items/{flash.item_id}"), headers=owner
    )
    assert remove.status_code == 409


async def test_refusals_say_why(api, runtime):
    flash = await open_flash(api, flash_stock=1, limit=1, started=False)
    first, second = await shoppers(runtime, 2)
    assert error_code(await attempt(api.client, flash.item_id, first)) == "not_started"
    await start_now(runtime, flash.session["id"])
    too_many = await attempt(api.client, flash.item_id, first, quantity=2)
    assert too_many.status_code == 409 and error_code(too_many) == "limit_reached"
    expect(await attempt(api.client, flash.item_id, first), 201)
    assert error_code(await attempt(api.client, flash.item_id, first)) == "limit_reached"
    assert error_code(await attempt(api.client, flash.item_id, second)) == "sold_out"


async def test_a_repeated_key_gets_the_first_answer_and_no_second_unit(api, runtime):
    flash = await open_flash(api, flash_stock=5, limit=2)
    [shopper] = await shoppers(runtime, 1)
    first = expect(await attempt(api.client, flash.item_id, shopper, key="k-1"), 201)
    repeat = expect(await attempt(api.client, flash.item_id, shopper, key="k-1"), 201)
    assert repeat["order_id"] == first["order_id"] and repeat["repeated"] is True
    assert (await item_row(runtime, flash.item_id)).sold == 1


async def test_a_paid_order_cancelled_while_the_session_runs_gives_its_unit_back(
    api, runtime, runner
):
    flash = await open_flash(api, flash_stock=1)
    first, second = await shoppers(runtime, 2)
    order_id = expect(await attempt(api.client, flash.item_id, first), 201)["order_id"]
    await api.confirm_in_cashier(await api.start_payment(first[0], order_id))
    await runner.run()
    assert (await api.order(first[0], order_id))["status"] == "paid"
    assert error_code(await attempt(api.client, flash.item_id, second)) == "sold_out"
    expect(
        await api.client.post(
            f"/api/v1/me/orders/{order_id}/cancel", json={"reason": "不想要了"}, headers=first[0]
        ),
        200,
    )
    await runner.run()
    assert (await item_row(runtime, flash.item_id)).sold == 0
    expect(await attempt(api.client, flash.item_id, second), 201)
    assert await regular_stock(runtime, flash.shop.sku_id) == 299  # the flash unit stays flash


async def test_after_the_session_unsold_and_late_expired_units_go_to_regular_stock(
    api, runtime, runner
):
    flash = await open_flash(api, regular_stock=300, flash_stock=100, payment_window=120)
    [shopper] = await shoppers(runtime, 1)
    expect(await attempt(api.client, flash.item_id, shopper), 201)
    # The session ends (its deadline), then the unpaid order's window (2 hours) passes.
    ends = utcnow() + timedelta(hours=1, minutes=1)
    await runner.run(ends)
    item = await item_row(runtime, flash.item_id)
    assert item.returned_to_stock == 99 and item.sold == 1
    assert await regular_stock(runtime, flash.shop.sku_id) == 299
    await runner.run(ends + timedelta(hours=1))
    item = await item_row(runtime, flash.item_id)
    assert item.returned_to_stock == 100 and item.sold == 0
    assert await regular_stock(runtime, flash.shop.sku_id) == 300


async def test_the_storefront_and_the_figures(api, runtime, runner):
    flash = await open_flash(api, flash_stock=4, limit=1)
    buyers = await shoppers(runtime, 5)
    for buyer in buyers:
        await attempt(api.client, flash.item_id, buyer)
    showing = expect(await api.client.get("/api/v1/shop/flash-sessions"), 200)
    [session] = showing
    assert session["phase"] == "live"
    [item] = session["items"]
    assert item["sold_percent"] == 100 and item["state"] == "sold_out"
    assert item["flash_price_fen"] == 990 and item["price_fen"] == 9900
    page = api.client.get("/flash")
    assert "已抢光" in (await page).text
    mall = (await api.client.get("/")).text
    assert "data-countdown" in mall
    figures = expect(
        await api.client.get(
            merchant_url(flash.store_id, f"/{flash.session['id']}/figures"),
            headers=flash.shop.owner,
        ),
        200,
    )
    assert figures["accepted"] == 4 and figures["sold"] == 4 and figures["gmv_fen"] == 0


async def test_in_a_store_with_warehouses_flash_stock_comes_from_the_default_warehouse(
    api, runtime
):
    shop = await open_shop(api, stock=50, price_fen=9900)
    warehouses = WarehouseShop(api, shop.store["id"], shop.owner, [shop.sku_id])
    default = await warehouses.warehouse("主仓", "浙江省")
    other = await warehouses.warehouse("北仓", "北京市")
    expect(await warehouses.move(shop.sku_id, other, 5), 201)
    session = await new_session(api, shop)
    item = expect(await add_item(api, shop, session["id"], item_body(shop.sku_id)), 201)
    assert await warehouses.stock(shop.sku_id) == {default: (40, 0), other: (5, 0)}

    await start_now(runtime, session["id"])
    [buyer] = await shoppers(runtime, 1)
    expect(await attempt(api.client, item["id"], buyer), 201)
    stop = merchant_url(shop.store["id"], f"/{session['id']}/stop")
    expect(await api.client.post(stop, headers=shop.owner), 200)
    assert await warehouses.stock(shop.sku_id) == {default: (49, 0), other: (5, 0)}
    await check_sums(runtime, shop.store["id"])
