"""Bad input gets a clear 4xx with a stable code: never a 500, never a partial write."""

from __future__ import annotations

import re
import typing

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from tests.orders.conftest import open_shop
from tests.support import all_routes, expect
from weshop.orders.models import Order
from weshop.payments.models import Payment


async def order_count(runtime) -> int:
    async with runtime.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b'{"phone": "\xff\xfe"}', "application/json", 400, None),
        (b"\xff\xfe\xfd", "application/json", 400, None),
        (b"[]", "application/json", 422, "invalid_input"),
        (b'{"phone": 13800000000}', "application/json", 422, "invalid_input"),
        (b'{"phone": "123"}', "application/json", 422, "invalid_input"),
        (b'{"phone": "' + b"1" * 5000 + b'"}', "application/json", 422, "invalid_input"),
        (b"phone=13800000000", "application/x-www-form-urlencoded", 422, "invalid_input"),
    ],
)
async def test_malformed_bodies_get_a_clear_4xx(client, body, content_type, status, code):
    answer = await client.post(
        "/api/v1/auth/codes", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code


async def test_validation_errors_do_not_echo_personal_data(client):
    answer = await client.post("/api/v1/auth/codes", json={"phone": "13800000000x"})
    assert answer.status_code == 422
    assert "13800000000" not in answer.text


async def test_an_oversized_body_is_refused_before_it_is_read(client):
    answer = await client.post(
        "/api/v1/auth/codes",
        content=b"x" * (300 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "items",
    [
        [{"sku_id": 2**70, "quantity": 1}],
        [{"sku_id": -1, "quantity": 1}],
        [{"sku_id": "1; DROP TABLE orders", "quantity": 1}],
        [{"sku_id": 1, "quantity": 1, "price_fen": 1}],
        [],
        [{"sku_id": 1, "quantity": 1}] * 51,
        "all of them",
    ],
)
async def test_bad_checkouts_write_nothing(api, client, runtime, items):
    shop = await open_shop(api)
    answer = await client.post(
        "/api/v1/me/orders",
        json={"address_id": shop.address["id"], "items": items},
        headers=shop.shopper,
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]["code"]
    assert await order_count(runtime) == 0


async def test_a_note_too_long_is_refused(api, client, runtime):
    shop = await open_shop(api)
    answer = await client.post(
        "/api/v1/me/orders",
        json={
            "address_id": shop.address["id"],
            "items": [{"sku_id": shop.sku_id, "quantity": 1}],
            "note": "备注" * 200,
        },
        headers=shop.shopper,
    )
    assert answer.status_code == 422
    assert await order_count(runtime) == 0


async def test_unknown_routes_and_methods_answer_in_the_error_shape(client):
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.delete("/api/v1/auth/codes")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


async def test_signing_in_needs_a_code_or_a_password_not_both(client):
    answer = await client.post(
        "/api/v1/auth/sessions", json={"phone": "13800000000", "code": "123456", "password": "x"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "code_or_password"
    expect(await client.get("/healthz"), 200)


async def test_nul_characters_are_refused_on_every_database(api, client, runtime):
    shopper = await api.sign_in()
    address = await api.add_address(shopper)
    path = f"/api/v1/me/addresses/{address['id']}"
    answer = await client.patch(path, json={"city": "\u0000"}, headers=shopper)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_characters"
    shop = await open_shop(api)
    base = f"/api/v1/merchant/stores/{shop.store['id']}/orders"
    listed = await client.get(base, params={"order_no": "1\u00002"}, headers=shop.owner)
    assert listed.status_code == 422
    assert (await client.get(path, params={"reveal": "true"}, headers=shopper)).json()[
        "city"
    ] == address["city"]


def _one_value_query_names(dependant) -> set[str]:
    names = {
        field.alias
        for field in dependant.query_params
        if typing.get_origin(field.field_info.annotation) not in (list, tuple, set, frozenset)
    }
    for dependency in dependant.dependencies:
        names |= _one_value_query_names(dependency)
    return names


async def test_a_one_value_query_parameter_given_twice_is_refused_on_every_route(client, app):
    """Sweep: ``?q=a&q=b`` on a parameter that takes one value is a 422 naming it, on every
    route of the API and the pages, whatever the method, never one value picked silently."""
    checked = 0
    for route in all_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        names = sorted(_one_value_query_names(route.dependant))
        if not names:
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods):
            answer = await client.request(
                method, path, params=[(names[0], "1"), (names[0], "2")], headers={}
            )
            assert answer.status_code == 422, f"{method} {route.path}: {answer.status_code}"
            if answer.headers["content-type"].startswith("application/json"):
                assert answer.json()["error"]["details"][0]["field"] == f"query.{names[0]}"
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("query", "body", "status", "code"),
    [
        ({"channel": "alipay"}, None, 422, "invalid_input"),
        ({"channel": "JSAPI"}, None, 422, "invalid_input"),
        ({}, {"channel": 3}, 422, "invalid_input"),
        ({}, {"channel": "jsapi", "openid": "oForged"}, 422, "invalid_input"),
        ({"channel": "h5"}, {"channel": "native"}, 422, "payment_channel_ambiguous"),
        # The sandbox pays at its own page only: it has no WeChat client to hand a prepay to.
        ({"channel": "jsapi"}, None, 409, "payment_channel_unsupported"),
        ({}, {"channel": "miniprogram"}, 409, "payment_channel_unsupported"),
    ],
)
async def test_bad_payment_channels_write_nothing(api, client, runtime, query, body, status, code):
    shop = await open_shop(api)
    placed = expect(
        await api.place_order(shop.shopper, shop.address["id"], [(shop.sku_id, 1)]), 201
    )
    answer = await client.post(
        f"/api/v1/me/orders/{placed['orders'][0]['id']}/payments",
        params=query,
        json=body,
        headers=shop.shopper,
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 0
