"""The merchant console's finance page: balances, the statement by day linked to orders,
the CSV; and that only finance roles open it."""

from __future__ import annotations

import csv
import io

from tests.orders.test_console import HTML, paid_order, use_session


async def test_finance_shows_frozen_money_and_the_day_with_its_orders(api, client, runner) -> None:
    shop = await paid_order(api, runner)
    url = f"{shop.base}/finance"
    use_session(client, shop.owner)
    page = await client.get(url, headers=HTML)
    assert page.status_code == 200
    assert "¥130.00" in page.text  # paid in, and frozen
    assert f'href="{shop.url}"' in page.text and shop.order["order_no"] in page.text
    assert f"{url}/statement.csv" in page.text

    answer = await client.get(f"{url}/statement.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(row["kind"], row["order_no"], row["paid_fen"]) for row in rows] == [
        ("payment", shop.order["order_no"], "13000")
    ]


async def test_a_backwards_range_is_explained_not_a_crash(api, client) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    page = await client.get(
        f"/console/stores/{store_id}/finance",
        params={"day_from": "2030-02-01", "day_to": "2030-01-01"},
        headers=HTML,
    )
    assert page.status_code == 422 and "form-error" in page.text


async def test_only_finance_roles_open_finance(api, client) -> None:
    store_id, owner = await api.new_store()
    finance = await api.add_staff(store_id, owner, "finance")
    operator = await api.add_staff(store_id, owner, "operator")
    url = f"/console/stores/{store_id}/finance"
    use_session(client, finance)
    assert (await client.get(url, headers=HTML)).status_code == 200
    use_session(client, operator)
    assert (await client.get(url, headers=HTML)).status_code == 403
    assert (await client.get(f"{url}/statement.csv", headers=HTML)).status_code == 403
    orders = await client.get(f"/console/stores/{store_id}/orders", headers=HTML)
    assert url not in orders.text
    _, other_owner = await api.new_store()
    use_session(client, other_owner)
    assert (await client.get(url, headers=HTML)).status_code == 404
