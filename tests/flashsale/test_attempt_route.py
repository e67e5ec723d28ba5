"""The attempt's direct route (``weshop.core.http.DirectRoute``): it reads the request itself,
so these hold it to what FastAPI would answer for its declared signature, and hold its kept
session lookup to what a sign-out or a deactivated account must change at once."""

from __future__ import annotations

from sqlalchemy import update

from tests.flashsale.conftest import attempt, attempt_url, open_flash, shoppers
from tests.support import expect
from weshop.accounts.models import User


def error_of(response) -> dict:
    return response.json()["error"]


async def test_bad_requests_get_the_api_s_usual_answers_and_take_nothing(api, runtime):
    flash = await open_flash(api, flash_stock=1)
    [(shopper, address_id)] = await shoppers(runtime, 1)
    url = attempt_url(flash.item_id)
    post = api.client.post

    unsigned = await post(url, json={"address_id": address_id})
    assert unsigned.status_code == 401 and error_of(unsigned)["code"] == "unauthenticated"
    garbled = await post(
        url, content=b'{"address_id": ', headers={**shopper, "Content-Type": "application/json"}
    )
    assert garbled.status_code == 400 and error_of(garbled)["code"] == "malformed_json"
    not_utf8 = await post(
        url, content=b'{"a": "\xe3"}', headers={**shopper, "Content-Type": "application/json"}
    )
    assert not_utf8.status_code == 400 and error_of(not_utf8)["code"] == "malformed_body"
    empty = await post(url, headers=shopper)
    assert empty.status_code == 422 and error_of(empty)["details"][0]["field"] == "body"

    everything_wrong = await post(
        "/api/v1/me/flash-items/0/attempts",
        json={"address_id": "1", "quantity": 1.0, "colour": "red"},
        headers={**shopper, "Idempotency-Key": "k" * 65},
    )
    assert everything_wrong.status_code == 422
    fields = {detail["field"] for detail in error_of(everything_wrong)["details"]}
    assert fields == {
        "path.flash_item_id",
        "header.Idempotency-Key",
        "body.address_id",
        "body.quantity",
        "body.colour",
    }
    expect(await attempt(api.client, flash.item_id, (shopper, address_id)), 201)


async def test_a_repeat_after_the_limit_is_held_still_gets_the_first_answer(api, runtime):
    flash = await open_flash(api, flash_stock=1, limit=1)
    [shopper] = await shoppers(runtime, 1)
    first = expect(await attempt(api.client, flash.item_id, shopper, key="k-1"), 201)
    repeat = expect(await attempt(api.client, flash.item_id, shopper, key="k-1"), 201)
    assert repeat["order_id"] == first["order_id"] and repeat["repeated"] is True
    other_key = await attempt(api.client, flash.item_id, shopper, key="k-2")
    assert other_key.status_code == 409 and error_of(other_key)["code"] == "limit_reached"


async def test_a_signed_out_or_deactivated_shopper_is_refused_at_once(api, runtime):
    flash = await open_flash(api, flash_stock=5, limit=1)
    leaving, deactivated = await shoppers(runtime, 2)
    for shopper in (leaving, deactivated):
        expect(await attempt(api.client, flash.item_id, shopper), 201)  # kept from now on

    signed_out = await api.client.delete("/api/v1/auth/sessions/current", headers=leaving[0])
    assert signed_out.status_code == 204
    assert (await attempt(api.client, flash.item_id, leaving)).status_code == 401

    user_id = (await api.client.get("/api/v1/me", headers=deactivated[0])).json()["id"]
    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(is_active=False))
    assert (await attempt(api.client, flash.item_id, deactivated)).status_code == 401
