"""Campaigns for a store's staff: created, read, edited and stopped through the API; bad
terms refused with a clear 4xx and nothing written; another store's rows answer 404."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.groupbuy.conftest import GroupShop, campaign_body, create_campaign, group_shop
from tests.support import expect
from weshop.core.clock import utcnow
from weshop.groupbuy.models import GroupCampaign, GroupPrice


async def test_a_campaign_is_created_with_its_prices(gshop: GroupShop):
    campaign = gshop.campaign
    assert campaign["status"] == "active" and campaign["live"] is True
    assert campaign["group_size"] == 3 and campaign["sold"] == 0
    assert campaign["full_group_policy"] == "new_group"
    assert campaign["simulated_fill"] is False and campaign["new_customers_only"] is False
    assert [p["price_fen"] for p in campaign["prices"]] == [4000, 4000]
    assert [p["sku_price_fen"] for p in campaign["prices"]] == [8000, 8000]
    assert campaign["lowest_price_fen"] == 4000
    listed = expect(await gshop.api.client.get(gshop.base, headers=gshop.owner), 200)
    assert [c["id"] for c in listed["items"]] == [campaign["id"]]


def _with(product: dict, **changes) -> dict:
    return campaign_body(product, **changes)


def _price(product: dict, **entry) -> list[dict]:
    return [{"sku_id": product["skus"][0]["id"], "price_fen": 100, **entry}]


BAD_TERMS = [
    ("group size 1", lambda p: _with(p, group_size=1), 422, "invalid_group_size"),
    ("group size 51", lambda p: _with(p, group_size=51), 422, "invalid_group_size"),
    ("window 0", lambda p: _with(p, fill_window_minutes=0), 422, "invalid_fill_window"),
    ("stock 0", lambda p: _with(p, stock=0), 422, "invalid_stock"),
    ("stock negative", lambda p: _with(p, stock=-5), 422, "invalid_stock"),
    ("limit 0", lambda p: _with(p, per_shopper_limit=0), 422, "invalid_limit"),
    (
        "ends before it starts",
        lambda p: _with(
            p,
            starts_at=(utcnow() + timedelta(days=2)).isoformat(),
            ends_at=(utcnow() + timedelta(days=1)).isoformat(),
        ),
        422,
        "invalid_window",
    ),
    ("price 0", lambda p: _with(p, prices=_price(p, price_fen=0)), 422, "invalid_price"),
    ("price negative", lambda p: _with(p, prices=_price(p, price_fen=-1)), 422, "invalid_price"),
    (
        "price above the SKU's",
        lambda p: _with(p, prices=_price(p, price_fen=8001)),
        422,
        "price_above_sku_price",
    ),
    (
        "leader price above the group price",
        lambda p: _with(p, prices=_price(p, price_fen=100, leader_price_fen=101)),
        422,
        "leader_price_above_group_price",
    ),
    (
        "leader price 0",
        lambda p: _with(p, prices=_price(p, price_fen=100, leader_price_fen=0)),
        422,
        "invalid_price",
    ),
    (
        "a SKU twice",
        lambda p: _with(p, prices=_price(p) + _price(p)),
        422,
        "duplicate_sku",
    ),
    ("no prices", lambda p: _with(p, prices=[]), 422, "invalid_input"),
    ("price as text", lambda p: _with(p, prices=_price(p, price_fen="100")), 422, "invalid_input"),
    ("size as float", lambda p: _with(p, group_size=3.0), 422, "invalid_input"),
    ("unknown field", lambda p: _with(p, discount=5), 422, "invalid_input"),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "code"), BAD_TERMS, ids=[c[0] for c in BAD_TERMS]
)
async def test_bad_terms_are_refused_and_nothing_is_written(
    api, runtime, gshop: GroupShop, case, body, status, code
):
    answer = await create_campaign(api, gshop.store_id, gshop.owner, body(gshop.product))
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(GroupCampaign)) == 1
        assert await session.scalar(select(func.count()).select_from(GroupPrice)) == 2


async def test_another_stores_product_or_sku_is_refused(api, runtime, gshop: GroupShop):
    other = await group_shop(api)
    # Another store's product: as unknown as a missing one.
    answer = await create_campaign(api, gshop.store_id, gshop.owner, campaign_body(other.product))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_product"
    # The store's own product with another store's SKU.
    body = campaign_body(gshop.product, prices=[{"sku_id": other.sku_id, "price_fen": 100}])
    answer = await create_campaign(api, gshop.store_id, gshop.owner, body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unknown_sku"
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(GroupCampaign)) == 2


async def test_another_stores_campaign_answers_404(api, gshop: GroupShop):
    other = await group_shop(api)
    cid = other.campaign["id"]
    client = api.client
    for method, path, body in [
        ("GET", f"{gshop.base}/{cid}", None),
        ("PATCH", f"{gshop.base}/{cid}", _terms(other.product)),
        ("POST", f"{gshop.base}/{cid}/stop", None),
        ("GET", f"{gshop.base}/{cid}/groups", None),
        ("GET", f"{gshop.base}/{cid}/figures", None),
    ]:
        answer = await client.request(method, path, json=body, headers=gshop.owner)
        assert answer.status_code == 404, (method, path, answer.text)
    assert (await other.campaign_now())["status"] == "active"


def _terms(product: dict, **changes) -> dict:
    body = campaign_body(product, **changes)
    for created_only in ("product_id", "group_size", "fill_window_minutes"):
        body.pop(created_only)
    return body


async def test_a_campaign_is_edited_and_stopped(api, gshop: GroupShop):
    cid = gshop.campaign["id"]
    prices = [{"sku_id": gshop.sku_id, "price_fen": 3000, "leader_price_fen": 2500}]
    edited = expect(
        await api.client.patch(
            f"{gshop.base}/{cid}",
            json=_terms(gshop.product, name="团购新价", prices=prices, stock=80),
            headers=gshop.owner,
        ),
        200,
    )
    assert edited["name"] == "团购新价" and edited["stock"] == 80
    assert [(p["sku_id"], p["price_fen"], p["leader_price_fen"]) for p in edited["prices"]] == [
        (gshop.sku_id, 3000, 2500)
    ]
    assert edited["group_size"] == 3  # as created
    bad = await api.client.patch(
        f"{gshop.base}/{cid}", json=_terms(gshop.product, stock=0), headers=gshop.owner
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_stock"
    stopped = expect(await api.client.post(f"{gshop.base}/{cid}/stop", headers=gshop.owner), 200)
    assert stopped["status"] == "stopped" and stopped["live"] is False
    again = await api.client.post(f"{gshop.base}/{cid}/stop", headers=gshop.owner)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    frozen = await api.client.patch(
        f"{gshop.base}/{cid}", json=_terms(gshop.product), headers=gshop.owner
    )
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "campaign_stopped"
    gone = await api.client.get(f"/api/v1/shop/products/{gshop.product['id']}/group-buy")
    assert gone.status_code == 404


async def test_staff_without_promotions_write_may_only_read(api, gshop: GroupShop):
    finance = await api.add_staff(gshop.store_id, gshop.owner, "finance")
    assert (await api.client.get(gshop.base, headers=finance)).status_code == 200
    refused = await create_campaign(api, gshop.store_id, finance, campaign_body(gshop.product))
    assert refused.status_code == 403
    service = await api.add_staff(gshop.store_id, gshop.owner, "customer_service")
    assert (await api.client.get(gshop.base, headers=service)).status_code == 403


async def test_the_shop_shows_the_products_running_campaign(api, gshop: GroupShop):
    found = expect(
        await api.client.get(f"/api/v1/shop/products/{gshop.product['id']}/group-buy"), 200
    )
    assert found["campaign"]["id"] == gshop.campaign["id"]
    assert found["open_groups"] == []
    assert (await api.client.get("/api/v1/shop/products/999999/group-buy")).status_code == 404


# Editing: every term until a group is opened; then only what hurts none of its members.


async def test_every_term_changes_while_no_group_is_opened(api, gshop: GroupShop):
    cid = gshop.campaign["id"]
    starts_at = utcnow() - timedelta(minutes=5)
    ends_at = utcnow() + timedelta(days=3)
    prices = [{"sku_id": gshop.sku_id, "price_fen": 3000, "leader_price_fen": 2500}]
    edited = expect(
        await api.client.patch(
            f"{gshop.base}/{cid}",
            json={
                "group_size": 5,
                "fill_window_minutes": 30,
                "prices": prices,
                "simulated_fill": True,
                "new_customers_only": True,
                "full_group_policy": "refund",
                "per_shopper_limit": 3,
                "stock": 20,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
            headers=gshop.owner,
        ),
        200,
    )
    assert (edited["group_size"], edited["fill_window_minutes"]) == (5, 30)
    assert [(p["sku_id"], p["price_fen"], p["leader_price_fen"]) for p in edited["prices"]] == [
        (gshop.sku_id, 3000, 2500)
    ]
    assert edited["simulated_fill"] is True and edited["new_customers_only"] is True
    assert edited["full_group_policy"] == "refund"
    assert (edited["per_shopper_limit"], edited["stock"]) == (3, 20)
    assert datetime.fromisoformat(edited["starts_at"]) == starts_at
    assert datetime.fromisoformat(edited["ends_at"]) == ends_at
    assert edited["name"] == gshop.campaign["name"]  # left out: stays
    # A group opened now has the new size and window, and its leader pays the new price.
    group_id, order, _ = await gshop.opened_group()
    group = await gshop.group(group_id)
    assert group["size"] == 5
    window = datetime.fromisoformat(group["expires_at"]) - datetime.fromisoformat(
        group["opened_at"]
    )
    assert window == timedelta(minutes=30)
    assert order["lines"][0]["unit_price_fen"] == 2500


BAD_EDITS = [
    ("size 1", lambda sku: {"group_size": 1}, "invalid_group_size"),
    ("size 51", lambda sku: {"group_size": 51}, "invalid_group_size"),
    ("window 4", lambda sku: {"fill_window_minutes": 4}, "invalid_fill_window"),
    ("window 10081", lambda sku: {"fill_window_minutes": 10_081}, "invalid_fill_window"),
    ("stock 0", lambda sku: {"stock": 0}, "invalid_stock"),
    ("limit 0", lambda sku: {"per_shopper_limit": 0}, "invalid_limit"),
    ("ends before start", lambda sku: {"ends_at": "2001-01-01T00:00:00Z"}, "invalid_window"),
    (
        "leader above group price",
        lambda sku: {"prices": [{"sku_id": sku, "price_fen": 100, "leader_price_fen": 101}]},
        "leader_price_above_group_price",
    ),
    (
        "a SKU twice",
        lambda sku: {"prices": [{"sku_id": sku, "price_fen": 100}] * 2},
        "duplicate_sku",
    ),
    ("size as text", lambda sku: {"group_size": "4"}, "invalid_input"),
    ("unknown field", lambda sku: {"product_id": 1}, "invalid_input"),
]


@pytest.mark.parametrize(("case", "change", "code"), BAD_EDITS, ids=[c[0] for c in BAD_EDITS])
async def test_an_edit_is_checked_as_a_creation_and_writes_nothing(
    api, gshop: GroupShop, case, change, code
):
    answer = await api.client.patch(
        f"{gshop.base}/{gshop.campaign['id']}", json=change(gshop.sku_id), headers=gshop.owner
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    assert await gshop.campaign_now() == gshop.campaign


LOCKED_EDITS = [
    ("group_size", 4),
    ("fill_window_minutes", 120),
    ("prices", "cheaper"),
    ("prices", "leader price"),
    ("starts_at", "earlier"),
    ("simulated_fill", True),
    ("new_customers_only", True),
    ("full_group_policy", "refund"),
]


@pytest.mark.parametrize(
    ("field", "value"), LOCKED_EDITS, ids=[f"{f}={v}" for f, v in LOCKED_EDITS]
)
async def test_once_a_group_is_opened_its_promised_terms_are_refused(
    api, gshop: GroupShop, field, value
):
    await gshop.opened_group()
    before = await gshop.campaign_now()
    if value == "cheaper":
        value = [{"sku_id": p["sku_id"], "price_fen": p["price_fen"] - 1} for p in before["prices"]]
    elif value == "leader price":
        value = [
            {"sku_id": p["sku_id"], "price_fen": p["price_fen"], "leader_price_fen": 1}
            for p in before["prices"]
        ]
    elif value == "earlier":
        value = (datetime.fromisoformat(before["starts_at"]) - timedelta(hours=1)).isoformat()
    answer = await api.client.patch(
        f"{gshop.base}/{gshop.campaign['id']}",
        json={"name": "改名", field: value},
        headers=gshop.owner,
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == f"{field}_locked" and error["details"]["field"] == field
    assert await gshop.campaign_now() == before


async def test_once_a_group_is_opened_the_name_end_stock_and_limit_still_change(
    api, gshop: GroupShop
):
    cid = gshop.campaign["id"]
    leader, address = await gshop.shopper()
    opened = await gshop.open(leader, address, quantity=2)
    group_id = opened["group_id"]
    await gshop.pay(leader, opened["orders"][0]["id"])
    before = await gshop.campaign_now()
    assert before["sold"] == 2
    # Every term sent as it is, the four free ones changed: only those change.
    same = {key: before[key] for key in ("group_size", "fill_window_minutes", "starts_at")}
    same["prices"] = [
        {"sku_id": p["sku_id"], "price_fen": p["price_fen"], "leader_price_fen": None}
        for p in before["prices"]
    ]
    for ends_at in (utcnow() + timedelta(days=30), utcnow() + timedelta(hours=1)):
        edited = expect(
            await api.client.patch(
                f"{gshop.base}/{cid}",
                json={
                    **same,
                    "name": "延期拼团",
                    "ends_at": ends_at.isoformat(),
                    "stock": 2,
                    "per_shopper_limit": 5,
                    "simulated_fill": False,
                },
                headers=gshop.owner,
            ),
            200,
        )
        assert datetime.fromisoformat(edited["ends_at"]) == ends_at
    assert (edited["name"], edited["stock"], edited["per_shopper_limit"]) == ("延期拼团", 2, 5)
    assert edited["group_size"] == 3 and edited["prices"] == before["prices"]
    past = await api.client.patch(
        f"{gshop.base}/{cid}",
        json={"ends_at": (utcnow() - timedelta(minutes=1)).isoformat()},
        headers=gshop.owner,
    )
    assert past.status_code == 422
    assert past.json()["error"]["code"] == "ends_at_before_now"
    below = await api.client.patch(f"{gshop.base}/{cid}", json={"stock": 1}, headers=gshop.owner)
    assert below.status_code == 422 and below.json()["error"]["code"] == "stock_below_sold"
    assert (await gshop.campaign_now())["stock"] == 2
    assert (await gshop.group(group_id))["size"] == 3
