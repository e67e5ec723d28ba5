"""批量发货 over the API and the console, the CSV of tracking numbers, and the packing slips:
all or nothing, with the roles and the store scope of shipping one order."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from tests.orders.test_console import HTML, csrf_of, use_session
from tests.support import Api, Headers, Runner, expect
from weshop.orders.bulk.service import read_tracking_csv

SHIPPED = ("shipped",)


@dataclass
class Store:
    store_id: int
    owner: Headers
    orders: list[dict]
    unpaid: dict

    @property
    def base(self) -> str:
        return f"/console/stores/{self.store_id}"

    @property
    def api(self) -> str:
        return f"/api/v1/merchant/stores/{self.store_id}"


async def store_with_orders(api: Api, runner: Runner, count: int = 3) -> Store:
    """A store, ``count`` paid orders of 2 + 1 items from different shoppers, and one unpaid."""
    store_id, owner = await api.new_store("山野农场")
    tea = await api.create_product(store_id, owner, title="高山云雾茶", price_fen=5000)
    honey = await api.create_product(
        store_id,
        owner,
        title="野生蜂蜜",
        price_fen=3000,
        specs=[{"name": "规格", "values": ["500g"]}],
    )
    items = [(tea["skus"][0]["id"], 2), (honey["skus"][0]["id"], 1)]
    orders = []
    for _ in range(count + 1):
        shopper, address_id = await api.buyer()
        orders.append(
            (shopper, expect(await api.place_order(shopper, address_id, items), 201)["orders"][0])
        )
    for shopper, order in orders[:count]:
        await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    paid = [await api.order(shopper, order["id"]) for shopper, order in orders[:count]]
    return Store(store_id, owner, paid, orders[count][1])


async def statuses(api: Api, store: Store) -> list[str]:
    return [
        expect(await api.client.get(f"{store.api}/orders/{o['id']}", headers=store.owner), 200)[
            "status"
        ]
        for o in store.orders
    ]


def shipments(orders: list[dict], carrier: str = "中通") -> list[dict]:
    return [
        {"order_id": o["id"], "carrier": carrier, "tracking_no": f"ZT{o['id']:08d}"} for o in orders
    ]


async def test_a_batch_ships_every_order_in_one_package(api, runner):
    store = await store_with_orders(api, runner)
    done = expect(
        await api.client.post(
            f"{store.api}/shipment-batches",
            json={"shipments": shipments(store.orders, "zhongtong")},
            headers=store.owner,
        ),
        200,
    )
    assert [o["status"] for o in done["orders"]] == ["shipped"] * 3
    assert {o["carrier"] for o in done["orders"]} == {"中通快递"}  # the code, named
    for order in store.orders:
        full = expect(
            await api.client.get(f"{store.api}/orders/{order['id']}", headers=store.owner), 200
        )
        assert len(full["shipments"]) == 1
        assert all(line["left_to_ship"] == 0 for line in full["lines"])
        assert full["shipments"][0]["tracking_no"] == f"ZT{order['id']:08d}"


async def test_one_order_that_cannot_ship_refuses_the_batch(api, runner):
    store = await store_with_orders(api, runner)
    batch = [*shipments(store.orders[:2]), *shipments([store.unpaid])]
    answer = await api.client.post(
        f"{store.api}/shipment-batches", json={"shipments": batch}, headers=store.owner
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["details"]["order_no"] == store.unpaid["order_no"]
    assert await statuses(api, store) == ["paid"] * 3
    twice = [*shipments(store.orders[:1]), *shipments(store.orders[:1], "顺丰")]
    answer = await api.client.post(
        f"{store.api}/shipment-batches", json={"shipments": twice}, headers=store.owner
    )
    assert answer.status_code == 409
    assert await statuses(api, store) == ["paid"] * 3


async def test_another_stores_order_is_404_and_nothing_ships(api, runner):
    store = await store_with_orders(api, runner, count=2)
    other = await store_with_orders(api, runner, count=1)
    batch = shipments([*store.orders, *other.orders])
    answer = await api.client.post(
        f"{store.api}/shipment-batches", json={"shipments": batch}, headers=store.owner
    )
    assert answer.status_code == 404
    assert other.orders[0]["order_no"] not in answer.text
    assert await statuses(api, store) == ["paid"] * 2
    assert await statuses(api, other) == ["paid"]


async def test_only_roles_that_ship_may_ship_a_batch(api, runner):
    store = await store_with_orders(api, runner, count=1)
    for role in ("finance", "customer_service"):
        staff = await api.add_staff(store.store_id, store.owner, role)
        answer = await api.client.post(
            f"{store.api}/shipment-batches",
            json={"shipments": shipments(store.orders)},
            headers=staff,
        )
        assert answer.status_code == 403
    assert await statuses(api, store) == ["paid"]
    operator = await api.add_staff(store.store_id, store.owner, "operator")
    expect(
        await api.client.post(
            f"{store.api}/shipment-batches",
            json={"shipments": shipments(store.orders)},
            headers=operator,
        ),
        200,
    )


async def test_a_batch_has_a_maximum_size(api, runner):
    store = await store_with_orders(api, runner, count=1)
    batch = [{"order_id": n, "carrier": "顺丰", "tracking_no": f"SF{n:06d}"} for n in range(1, 102)]
    answer = await api.client.post(
        f"{store.api}/shipment-batches", json={"shipments": batch}, headers=store.owner
    )
    assert answer.status_code == 422


# The console


def form_key_of(page: httpx.Response) -> str:
    found = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert found, "the page has no form key"
    return found.group(1)


def csv_file(text: str, encoding: str = "utf-8") -> dict:
    return {"file": ("运单.csv", text.encode(encoding), "text/csv")}


async def upload(client: httpx.AsyncClient, store: Store, text: str, encoding: str = "utf-8"):
    page = await client.get(f"{store.base}/orders", headers=HTML)
    return await client.post(
        f"{store.base}/shipping-batch/csv",
        data={"csrf_token": csrf_of(page)},
        files=csv_file(text, encoding),
        headers=HTML,
    )


async def test_ticked_orders_ship_from_the_console(api, client, runner):
    store = await store_with_orders(api, runner)
    use_session(client, store.owner)
    listing = await client.get(f"{store.base}/orders?status=paid", headers=HTML)
    assert 'name="order_ids"' in listing.text and 'form="bulk-orders"' in listing.text
    ids = [o["id"] for o in store.orders[:2]]
    form = await client.get(f"{store.base}/shipping-batch", params={"order_ids": ids}, headers=HTML)
    assert form.status_code == 200
    assert all(o["order_no"] in form.text for o in store.orders[:2])
    assert "13912345678" not in form.text  # the recipient stays masked here
    data = {
        "csrf_token": csrf_of(form),
        "form_key": form_key_of(form),
        "order_ids": [str(i) for i in ids],
        "all_carrier": "顺丰",
        f"tracking_no.{ids[0]}": "SF1000001",
        f"tracking_no.{ids[1]}": "bad no!",
    }
    refused = await client.post(f"{store.base}/shipping-batch", data=data, headers=HTML)
    assert refused.status_code == 422 and "SF1000001" in refused.text
    assert await statuses(api, store) == ["paid"] * 3
    data[f"tracking_no.{ids[1]}"] = "SF1000002"
    done = await client.post(f"{store.base}/shipping-batch", data=data, headers=HTML)
    assert done.status_code == 303 and done.headers["location"].endswith("/orders?shipped=2")
    assert await statuses(api, store) == ["shipped", "shipped", "paid"]
    again = await client.post(f"{store.base}/shipping-batch", data=data, headers=HTML)
    assert again.status_code == 303  # the same form sent twice ships once, and says so


async def test_a_csv_of_tracking_numbers_is_previewed_then_shipped(api, client, runner):
    store = await store_with_orders(api, runner)
    use_session(client, store.owner)
    first, second, _third = store.orders
    text = (
        "订单号,快递公司,运单号\n"
        f"{first['order_no']},顺丰,SF2000001\n"
        "\n"
        f"{second['order_no']},yuantong,YT2000002\n"
    )
    preview = await upload(client, store, text, "gb18030")  # as Excel saves it in China
    assert preview.status_code == 200, preview.text
    assert "SF2000001" in preview.text and "圆通速递" in preview.text
    assert await statuses(api, store) == ["paid"] * 3  # nothing ships before it is confirmed
    form = {"csrf_token": csrf_of(preview), "order_ids": [str(first["id"]), str(second["id"])]}
    form |= {
        f"carrier.{first['id']}": "顺丰速运",
        f"tracking_no.{first['id']}": "SF2000001",
        f"carrier.{second['id']}": "圆通速递",
        f"tracking_no.{second['id']}": "YT2000002",
    }
    done = await client.post(f"{store.base}/shipping-batch", data=form, headers=HTML)
    assert done.status_code == 303
    assert await statuses(api, store) == ["shipped", "shipped", "paid"]


async def test_a_csv_with_bad_rows_lists_every_one_by_line_and_ships_nothing(api, client, runner):
    store = await store_with_orders(api, runner)
    other = await store_with_orders(api, runner, count=1)
    use_session(client, store.owner)
    first, second, third = store.orders
    text = (
        "订单号,快递公司,运单号\n"
        f"{first['order_no']},顺丰,SF3000001\n"  # line 2: good
        f"{second['order_no']},飞鸽快递,FG3000002\n"  # line 3: unknown carrier
        f"{third['order_no']},中通,短\n"  # line 4: bad tracking number
        f"{first['order_no']},中通,ZT3000004\n"  # line 5: named twice
        f"{other.orders[0]['order_no']},中通,ZT3000005\n"  # line 6: another store's
        f"{store.unpaid['order_no']},中通,ZT3000006\n"  # line 7: unpaid
        "2.02612E+19,中通,ZT3000007\n"  # line 8: mangled by a spreadsheet
    )
    answer = await upload(client, store, text)
    assert answer.status_code == 422
    for line in range(3, 9):
        assert f"第 {line} 行" in answer.text, line
    assert "第 2 行" not in answer.text
    assert "飞鸽快递" in answer.text
    assert await statuses(api, store) == ["paid"] * 3
    assert await statuses(api, other) == ["paid"]


async def test_csv_without_header_and_broken_files(api, client, runner):
    store = await store_with_orders(api, runner, count=1)
    use_session(client, store.owner)
    plain = await upload(client, store, f"{store.orders[0]['order_no']},SF,SF4000001\n")
    assert plain.status_code == 200 and "顺丰速运" in plain.text
    missing = await upload(client, store, "订单号,运单号\n1,SF4000001\n")
    assert missing.status_code == 422 and "快递公司" in missing.text
    empty = await upload(client, store, "\n\n")
    assert empty.status_code == 422
    binary = await client.post(
        f"{store.base}/shipping-batch/csv",
        data={"csrf_token": csrf_of(await client.get(f"{store.base}/orders", headers=HTML))},
        files={"file": ("x.csv", b"\xff\xfe\x00\x81\xff" * 10, "text/csv")},
        headers=HTML,
    )
    assert binary.status_code == 422
    assert await statuses(api, store) == ["paid"]


async def test_console_bulk_shipping_keeps_roles_and_store_scope(api, client, runner):
    store = await store_with_orders(api, runner, count=1)
    other = await store_with_orders(api, runner, count=1)
    finance = await api.add_staff(store.store_id, store.owner, "finance")
    use_session(client, finance)
    page = await client.get(
        f"{store.base}/shipping-batch", params={"order_ids": store.orders[0]["id"]}, headers=HTML
    )
    assert page.status_code == 403
    use_session(client, store.owner)
    foreign = await client.get(
        f"{store.base}/shipping-batch",
        params={"order_ids": [store.orders[0]["id"], other.orders[0]["id"]]},
        headers=HTML,
    )
    assert foreign.status_code == 404 and other.orders[0]["order_no"] not in foreign.text
    token = csrf_of(await client.get(f"{store.base}/orders", headers=HTML))
    posted = await client.post(
        f"{store.base}/shipping-batch",
        data={
            "csrf_token": token,
            "order_ids": [str(store.orders[0]["id"]), str(other.orders[0]["id"])],
            "all_carrier": "顺丰",
            f"tracking_no.{store.orders[0]['id']}": "SF5000001",
            f"tracking_no.{other.orders[0]['id']}": "SF5000002",
        },
        headers=HTML,
    )
    assert posted.status_code == 404
    assert await statuses(api, store) == ["paid"] and await statuses(api, other) == ["paid"]
    slips = await client.get(
        f"{store.base}/packing-slips", params={"order_ids": other.orders[0]["id"]}, headers=HTML
    )
    assert slips.status_code == 404 and other.orders[0]["order_no"] not in slips.text


async def test_packing_slips_show_each_order_and_the_recipient_by_role(api, client, runner):
    store = await store_with_orders(api, runner, count=2)
    ids = [o["id"] for o in store.orders]
    use_session(client, store.owner)
    slips = await client.get(
        f"{store.base}/packing-slips", params={"order_ids": ids, "paper": "thermal"}, headers=HTML
    )
    assert slips.status_code == 200
    assert slips.text.count('class="slip"') == 2
    assert "paper-thermal" in slips.text and "/static/packing-slips.css" in slips.text
    for order in store.orders:
        assert order["order_no"] in slips.text
    assert "高山云雾茶" in slips.text and "规格:500g" in slips.text
    assert "13912345678" in slips.text and "文三路 100 号" in slips.text  # the owner ships
    finance = await api.add_staff(store.store_id, store.owner, "finance")
    use_session(client, finance)
    masked = await client.get(
        f"{store.base}/packing-slips", params={"order_ids": ids}, headers=HTML
    )
    assert masked.status_code == 200 and "paper-a4" in masked.text
    assert "13912345678" not in masked.text and "139****5678" in masked.text
    bad = await client.get(f"{store.base}/packing-slips?order_ids=abc", headers=HTML)
    assert bad.status_code == 422


def test_the_csv_reader_takes_what_spreadsheets_save():
    """A BOM and CRLF (Excel's UTF-8), English headers in any order, quoted cells, the quote
    our own export puts before a risky cell, and blank lines; line numbers are the file's."""
    text = (
        "\ufeffTracking number,Order number,Carrier\r\n"
        '"SF1234567","\'20261206000001","顺丰"\r\n'
        "\r\n"
        "YT7654321,20261206000002,YTO\r\n"
        ",20261206000003,\r\n"
    )
    rows, problems = read_tracking_csv(text.encode("utf-8"))
    assert [(r.line, r.order_no, r.carrier, r.tracking_no) for r in rows] == [
        (2, "20261206000001", "顺丰", "SF1234567"),
        (4, "20261206000002", "YTO", "YT7654321"),
        (5, "20261206000003", "", ""),
    ]
    assert [(p.line, p.code) for p in problems] == [(5, "unknown_carrier"), (5, "bad_tracking_no")]
    assert read_tracking_csv(b"x" * (300 * 1024))[1][0].code == "file_too_large"
