"""Storefront pages of payments: to the cashier, back from it, and the result page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.storefront import HTML, page, post, shopper
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.orders.models import Order
from weshop.payments.web import cashier_location


async def unpaid_order(api, client) -> dict:
    store_id, owner = await api.new_store("山野农场")
    product = await api.create_product(store_id, owner, title="野生蜂蜜", price_fen=8800)
    _, headers = await shopper(api, client)
    address = await api.add_address(headers)
    placed = await api.place_order(headers, address["id"], [(product["skus"][0]["id"], 1)])
    return {**expect(placed, 201)["orders"][0], "headers": headers}


async def test_paying_goes_through_the_cashier_and_back_to_the_result(api, client) -> None:
    order = await unpaid_order(api, client)
    started = await post(client, f"/me/orders/{order['id']}/pay")
    cashier = started.headers["location"]
    assert cashier.startswith("/sandbox-pay/cashier/P")
    out_trade_no = cashier.rsplit("/", 1)[1]
    cashier_page = await page(client, cashier)
    assert "沙箱收银台" in cashier_page and "¥88.00" in cashier_page
    waiting = await page(client, f"/me/orders/{order['id']}/result")
    assert "正在确认支付结果" in waiting and 'http-equiv="refresh"' in waiting

    paid = await client.post(f"{cashier}/confirm", headers=HTML)
    assert paid.status_code == 303 and paid.headers["location"] == f"/pay/return/{out_trade_no}"
    back = await client.get(paid.headers["location"], headers=HTML)
    assert back.headers["location"] == f"/me/orders/{order['id']}/result"
    result = await page(client, back.headers["location"])
    assert "支付成功" in result and "¥88.00" in result and "refresh" not in result


async def test_paying_again_while_unpaid_reuses_the_payment(api, client) -> None:
    order = await unpaid_order(api, client)
    first = await post(client, f"/me/orders/{order['id']}/pay")
    second = await post(client, f"/me/orders/{order['id']}/pay")
    assert first.headers["location"] == second.headers["location"]


async def test_a_passed_payment_window_is_said_in_words(api, client, runtime) -> None:
    order = await unpaid_order(api, client)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Order)
            .where(Order.id == order["id"])
            .values(pay_deadline=utcnow() - timedelta(minutes=1))
        )
    refused = await post(client, f"/me/orders/{order['id']}/pay")
    assert refused.headers["location"] == f"/me/orders/{order['id']}?error=payment_window_passed"
    detail = await page(client, refused.headers["location"])
    assert "订单已超过支付时限" in detail and '/pay"' not in detail
    assert "已超过支付时限" in await page(client, f"/me/orders/{order['id']}/result")


async def test_a_closed_payment_is_said_on_the_cashier(api, client, runner) -> None:
    order = await unpaid_order(api, client)
    cashier = (await post(client, f"/me/orders/{order['id']}/pay")).headers["location"]
    await post(client, f"/me/orders/{order['id']}/cancel")
    await runner.run()
    refused = await client.post(f"{cashier}/confirm", headers=HTML)
    assert refused.status_code == 409 and "该笔支付已关闭" in refused.text
    assert "返回商城" in refused.text


async def test_the_cashier_keeps_its_json_answer_for_other_callers(api, client) -> None:
    order = await unpaid_order(api, client)
    payment = await api.start_payment(order["headers"], order["id"])
    await api.confirm_in_cashier(payment)
    assert (await api.order(order["headers"], order["id"]))["status"] == "paid"


async def test_someone_elses_payment_return_answers_404(api, client) -> None:
    order = await unpaid_order(api, client)
    payment = await api.start_payment(order["headers"], order["id"])
    await shopper(api, client)
    answer = await client.get(f"/pay/return/{payment['out_trade_no']}", headers=HTML)
    assert answer.status_code == 404


def test_a_cashier_elsewhere_gets_the_way_back() -> None:
    back = "http://shop.example/pay/return/P1"
    base = "https://shop.example"
    ours = cashier_location(f"{base}/sandbox-pay/cashier/P1", base, back)
    assert ours == "/sandbox-pay/cashier/P1"
    h5 = cashier_location("http://127.0.0.1:8100/cashier/h5?prepay_id=wx1", base, back)
    assert h5 == (
        "http://127.0.0.1:8100/cashier/h5?prepay_id=wx1"
        "&redirect_url=http%3A%2F%2Fshop.example%2Fpay%2Freturn%2FP1"
    )
