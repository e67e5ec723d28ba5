"""The merchant console's orders pages: list, search, CSV, detail, shipping in packages,
cancelling and refunding by line; and what each role may see and do."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import httpx

from tests.inventory.warehouse_shop import WarehouseShop
from tests.support import Api, Headers, Runner, expect, new_phone

HTML = {"Accept": "text/html"}


def use_session(client: httpx.AsyncClient, headers: Headers) -> None:
    """Sign the client's pages in as the API session of ``headers`` (the console cookie)."""
    client.cookies.set("weshop_session", headers["Authorization"].removeprefix("Bearer "))


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no form"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, form_page: str, action: str, data: dict
) -> httpx.Response:
    """Open the form's page (for the CSRF token), then post to ``action`` as a browser does."""
    page = await client.get(form_page, headers=HTML)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page), **data}, headers=HTML)


@dataclass
class PaidOrder:
    store_id: int
    owner: Headers
    shopper: Headers
    shopper_phone: str
    order: dict

    @property
    def base(self) -> str:
        return f"/console/stores/{self.store_id}"

    @property
    def url(self) -> str:
        return f"{self.base}/orders/{self.order['id']}"

    def line(self, index: int) -> dict:
        return self.order["lines"][index]


async def paid_order(api: Api, runner: Runner, *, pay: bool = True) -> PaidOrder:
    """A store with two products, and a shopper's order of 2 + 1 of them, paid."""
    store_id, owner = await api.new_store("山野农场")
    tea = await api.create_product(store_id, owner, title="高山云雾茶", price_fen=5000)
    honey = await api.create_product(store_id, owner, title="野生蜂蜜", price_fen=3000)
    shopper_phone = new_phone()
    shopper = await api.sign_in(shopper_phone)
    address = await api.add_address(shopper)
    items = [(tea["skus"][0]["id"], 2), (honey["skus"][0]["id"], 1)]
    order = expect(await api.place_order(shopper, address["id"], items), 201)["orders"][0]
    if pay:
        await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
        await runner.run()
    return PaidOrder(store_id, owner, shopper, shopper_phone, await api.order(shopper, order["id"]))


async def test_the_list_shows_orders_by_status_and_finds_one_by_phone_or_number(
    api, client, runner
) -> None:
    shop = await paid_order(api, runner)
    use_session(client, shop.owner)
    page = await client.get(f"{shop.base}/orders", headers=HTML)
    assert page.status_code == 200
    assert shop.order["order_no"] in page.text and "高山云雾茶" in page.text
    assert "139****5678" in page.text and "13912345678" not in page.text
    assert 'aria-current="page"' in page.text

    to_ship = await client.get(f"{shop.base}/orders", params={"status": "paid"}, headers=HTML)
    assert shop.order["order_no"] in to_ship.text
    unpaid = await client.get(
        f"{shop.base}/orders", params={"status": "pending_payment"}, headers=HTML
    )
    assert shop.order["order_no"] not in unpaid.text

    by_phone = await client.get(f"{shop.base}/orders", params={"q": "13912345678"}, headers=HTML)
    assert shop.order["order_no"] in by_phone.text
    by_number = await client.get(
        f"{shop.base}/orders", params={"q": shop.order["order_no"]}, headers=HTML
    )
    assert shop.order["order_no"] in by_number.text
    nobody = await client.get(f"{shop.base}/orders", params={"q": "13900000000"}, headers=HTML)
    assert shop.order["order_no"] not in nobody.text


async def test_the_csv_has_the_filtered_orders_with_phones_masked_by_role(
    api, client, runner
) -> None:
    shop = await paid_order(api, runner)
    finance = await api.add_staff(shop.store_id, shop.owner, "finance")
    use_session(client, shop.owner)
    answer = await client.get(f"{shop.base}/orders.csv", params={"status": "paid"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][0] == shop.order["order_no"]
    assert rows[1][11] == "13912345678"  # the owner may read personal data
    assert rows[1][7] == "130.00"

    none = await client.get(f"{shop.base}/orders.csv", params={"status": "cancelled"})
    assert len(list(csv.reader(io.StringIO(none.text.lstrip("\ufeff"))))) == 1

    use_session(client, finance)
    masked = list(csv.reader(io.StringIO((await client.get(f"{shop.base}/orders.csv")).text)))
    assert masked[1][11] == "139****5678"


async def test_staff_ship_an_order_in_two_packages(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    tea, honey = shop.line(0)["id"], shop.line(1)["id"]
    use_session(client, shop.owner)
    detail = await client.get(shop.url, params={"packages": "2"}, headers=HTML)
    assert detail.status_code == 200 and "packages.1.carrier" in detail.text

    first = await post_form(
        client,
        shop.url,
        f"{shop.url}/ship",
        {
            "package_count": "2",
            "packages.0.carrier": "顺丰速运",
            "packages.0.tracking_no": "SF1000000001",
            f"packages.0.items.{tea}": "1",
            f"packages.0.items.{honey}": "1",
            "packages.1.carrier": "中通快递",
            "packages.1.tracking_no": "ZT2000000002",
            f"packages.1.items.{tea}": "1",
            f"packages.1.items.{honey}": "0",
        },
    )
    assert first.status_code == 303
    assert first.headers["location"].endswith("?done=shipped")
    order = await api.order(shop.shopper, shop.order["id"])
    assert order["status"] == "shipped"
    assert [s["tracking_no"] for s in order["shipments"]] == ["SF1000000001", "ZT2000000002"]
    shown = await client.get(shop.url, headers=HTML)
    assert "ZT2000000002" in shown.text and 'id="ship"' not in shown.text


async def test_a_bad_package_shows_errors_by_field_and_ships_nothing(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    tea = shop.line(0)["id"]
    use_session(client, shop.owner)
    bad = await post_form(
        client,
        shop.url,
        f"{shop.url}/ship",
        {
            "package_count": "1",
            "packages.0.carrier": "顺丰速运",
            "packages.0.tracking_no": "no!",
            f"packages.0.items.{tea}": "1",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-packages.0.tracking_no"' in bad.text
    too_many = await post_form(
        client,
        shop.url,
        f"{shop.url}/ship",
        {
            "package_count": "1",
            "packages.0.carrier": "顺丰速运",
            "packages.0.tracking_no": "SF1000000001",
            f"packages.0.items.{tea}": "5",
        },
    )
    assert too_many.status_code == 422
    assert "剩余待发" in too_many.text
    order = await api.order(shop.shopper, shop.order["id"])
    assert order["status"] == "paid" and order["shipments"] == []


async def test_cancelling_a_paid_order_refunds_it_in_full(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    use_session(client, shop.owner)
    done = await post_form(client, shop.url, f"{shop.url}/cancel", {"reason": "缺货"})
    assert done.status_code == 303
    await runner.run()
    order = await api.order(shop.shopper, shop.order["id"])
    assert order["status"] == "cancelled"
    assert order["refunded_fen"] == order["paid_fen"]
    page = await client.get(shop.url, headers=HTML)
    assert "缺货" in page.text and 'action="' + shop.url + '/cancel"' not in page.text


async def test_staff_refund_part_of_a_line(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    honey = shop.line(1)
    use_session(client, shop.owner)
    over = await post_form(
        client, shop.url, f"{shop.url}/refunds", {f"lines.{honey['id']}": "999", "reason": "破损"}
    )
    assert over.status_code == 409
    assert "超过可退金额" in over.text
    page = await client.get(shop.url, headers=HTML)
    key = re.search(r'name="refund_key" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": csrf_of(page), "refund_key": key, f"lines.{honey['id']}": "10.5"}
    assert (await client.post(f"{shop.url}/refunds", data=form, headers=HTML)).status_code == 303
    again = await client.post(f"{shop.url}/refunds", data=form, headers=HTML)
    assert again.status_code == 303  # the same form sent twice refunds once
    await runner.run()
    order = await api.order(shop.shopper, shop.order["id"])
    assert order["refunded_fen"] == 1050
    assert "¥10.50" in (await client.get(shop.url, headers=HTML)).text


async def test_customer_service_sees_orders_but_cannot_ship_or_see_finance(
    api, client, runner
) -> None:
    shop = await paid_order(api, runner)
    service = await api.add_staff(shop.store_id, shop.owner, "customer_service")
    use_session(client, service)
    listing = await client.get(f"{shop.base}/orders", headers=HTML)
    assert listing.status_code == 200
    assert f"{shop.base}/finance" not in listing.text
    detail = await client.get(shop.url, headers=HTML)
    assert 'id="ship"' not in detail.text and "/cancel" in detail.text
    refused = await post_form(
        client,
        shop.url,
        f"{shop.url}/ship",
        {"package_count": "1", "packages.0.carrier": "顺丰", "packages.0.tracking_no": "SF123456"},
    )
    assert refused.status_code == 403
    assert (await api.order(shop.shopper, shop.order["id"]))["status"] == "paid"


async def test_another_stores_order_is_not_found(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    other_id, other_owner = await api.new_store("别家小店")
    use_session(client, other_owner)
    answer = await client.get(f"/console/stores/{other_id}/orders/{shop.order['id']}", headers=HTML)
    assert answer.status_code == 404
    assert (await client.get(shop.url, headers=HTML)).status_code == 404


async def test_pages_need_a_signed_in_staff_member(api, client, runner) -> None:
    shop = await paid_order(api, runner, pay=False)
    answer = await client.get(f"{shop.base}/orders", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin")
    use_session(client, shop.shopper)
    assert (await client.get(f"{shop.base}/orders", headers=HTML)).status_code == 404


async def test_the_ship_form_proposes_one_package_per_warehouse(api, client, runner) -> None:
    store_id, owner = await api.new_store()
    tea = (await api.create_product(store_id, owner, title="高山云雾茶", stock=0))["skus"][0]
    honey = (await api.create_product(store_id, owner, title="野生蜂蜜", stock=0))["skus"][0]
    shop = WarehouseShop(api, store_id, owner, [tea["id"], honey["id"]])
    east = await shop.warehouse("杭州仓", "浙江省")
    west = await shop.warehouse("成都仓", "四川省")
    expect(await shop.move(tea["id"], east, 2), 201)
    expect(await shop.move(honey["id"], west, 1), 201)
    shopper, address_id = await shop.buyer("浙江省")
    items = [(tea["id"], 2), (honey["id"], 1)]
    order = expect(await api.place_order(shopper, address_id, items), 201)["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(shopper, order["id"]))
    await runner.run()
    tea_line, honey_line = (line["id"] for line in order["lines"])
    use_session(client, owner)
    url = f"/console/stores/{store_id}/orders/{order['id']}"
    page = await client.get(url, headers=HTML)
    assert 'name="package_count" value="2"' in page.text
    assert "杭州仓" in page.text and "成都仓" in page.text

    def proposed(package: int, line_id: int) -> str:
        found = re.search(
            rf'name="packages\.{package}\.items\.{line_id}"[^>]*value="(\d+)"', page.text
        )
        assert found, (package, line_id)
        return found.group(1)

    assert [proposed(0, tea_line), proposed(0, honey_line)] == ["2", "0"]
    assert [proposed(1, tea_line), proposed(1, honey_line)] == ["0", "1"]
    shipped = await client.post(
        f"{url}/ship",
        data={
            "csrf_token": csrf_of(page),
            "package_count": "2",
            "packages.0.carrier": "顺丰速运",
            "packages.0.tracking_no": "SF1000000001",
            f"packages.0.items.{tea_line}": proposed(0, tea_line),
            f"packages.0.items.{honey_line}": proposed(0, honey_line),
            "packages.1.carrier": "中通快递",
            "packages.1.tracking_no": "ZT2000000002",
            f"packages.1.items.{tea_line}": proposed(1, tea_line),
            f"packages.1.items.{honey_line}": proposed(1, honey_line),
        },
        headers=HTML,
    )
    assert shipped.status_code == 303, shipped.text
    shipments = (await api.order(shopper, order["id"]))["shipments"]
    assert [s["items"] for s in shipments] == [
        [{"order_line_id": tea_line, "quantity": 2}],
        [{"order_line_id": honey_line, "quantity": 1}],
    ]
