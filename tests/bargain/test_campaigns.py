"""Bargain campaigns in the console API: created, edited and stopped by the store's staff;
bad terms refused with their own 4xx code and nothing written; another store's answer 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.bargain.conftest import SKU_PRICE, campaign_body, code_of, open_campaign, start
from tests.support import expect
from weshop.core.clock import utcnow


async def test_a_campaign_is_created_listed_edited_and_stopped(api):
    setup = await open_campaign(api, helps_needed=None, helps_min=3, helps_max=6)
    campaign = setup.campaign
    assert (campaign["helps_min"], campaign["helps_max"]) == (3, 6)
    assert (campaign["status"], campaign["phase"], campaign["sold"]) == ("active", "running", 0)
    assert campaign["product_id"] == setup.product["id"]

    listed = expect(await api.client.get(f"{setup.base}/campaigns", headers=setup.owner), 200)
    assert [c["id"] for c in listed["items"]] == [campaign["id"]]

    edited = expect(
        await api.client.put(
            f"{setup.base}/campaigns/{campaign['id']}",
            json=campaign_body(setup.sku_id, name="改过的", floor_price_fen=500, stock=20),
            headers=setup.owner,
        ),
        200,
    )
    assert (edited["name"], edited["floor_price_fen"], edited["stock"]) == ("改过的", 500, 20)
    assert (edited["helps_min"], edited["helps_max"]) == (3, 3)

    stopped = expect(
        await api.client.post(f"{setup.base}/campaigns/{campaign['id']}/stop", headers=setup.owner),
        200,
    )
    assert (stopped["status"], stopped["phase"]) == ("stopped", "stopped")
    again = await api.client.post(
        f"{setup.base}/campaigns/{campaign['id']}/stop", headers=setup.owner
    )
    assert again.status_code == 409
    refused = await start(api.client, await api.sign_in(), campaign["id"])
    assert (refused.status_code, code_of(refused)) == (409, "campaign_stopped")


async def test_a_scheduled_campaign_shows_on_the_product_and_refuses_a_start(api):
    later = utcnow() + timedelta(hours=2)
    setup = await open_campaign(
        api, starts_at=later.isoformat(), ends_at=(later + timedelta(days=1)).isoformat()
    )
    assert setup.campaign["phase"] == "scheduled"
    shown = expect(
        await api.client.get(f"/api/v1/shop/products/{setup.product['id']}/bargain-campaigns"),
        200,
    )
    assert [(c["id"], c["phase"]) for c in shown] == [(setup.campaign["id"], "scheduled")]
    refused = await start(api.client, await api.sign_in(), setup.campaign["id"])
    assert (refused.status_code, code_of(refused)) == (409, "campaign_not_started")


BAD_TERMS = [
    ({"floor_price_fen": SKU_PRICE}, "floor_not_below_start"),
    ({"floor_price_fen": SKU_PRICE + 1}, "floor_not_below_start"),
    ({"start_price_fen": SKU_PRICE + 1}, "start_above_price"),
    ({"helps_needed": 0}, "invalid_helps"),
    ({"helps_needed": -3}, "invalid_helps"),
    ({"helps_needed": None, "helps_min": 5, "helps_max": 4}, "invalid_helps"),
    ({"helps_needed": None}, "invalid_helps"),
    ({"helps_min": 3, "helps_max": 4}, "ambiguous_helps"),
    ({"floor_price_fen": SKU_PRICE - 2, "helps_needed": 3}, "cut_room_too_small"),
    ({"window_hours": 0}, "invalid_window_hours"),
    ({"window_hours": -1}, "invalid_window_hours"),
    ({"stock": 0}, "invalid_stock"),
    ({"per_shopper_limit": 0}, "invalid_limit"),
    ({"helper_daily_cap": 0}, "invalid_daily_cap"),
    ({"max_shared_helps": -1}, "invalid_max_shared_helps"),
]


@pytest.mark.parametrize(("terms", "code"), BAD_TERMS)
async def test_bad_terms_are_refused_with_their_code_and_write_nothing(api, terms, code):
    setup = await open_campaign(api)
    answer = await api.client.post(
        f"{setup.base}/campaigns", json=campaign_body(setup.sku_id, **terms), headers=setup.owner
    )
    assert (answer.status_code, code_of(answer)) == (422, code), answer.text
    listed = expect(await api.client.get(f"{setup.base}/campaigns", headers=setup.owner), 200)
    assert len(listed["items"]) == 1


async def test_a_window_that_ends_before_it_starts_is_refused(api):
    setup = await open_campaign(api)
    now = utcnow()
    answer = await api.client.post(
        f"{setup.base}/campaigns",
        json=campaign_body(
            setup.sku_id,
            starts_at=(now + timedelta(days=2)).isoformat(),
            ends_at=(now + timedelta(days=1)).isoformat(),
        ),
        headers=setup.owner,
    )
    assert (answer.status_code, code_of(answer)) == (422, "invalid_window")


async def test_a_campaign_on_another_stores_sku_is_refused(api):
    mine = await open_campaign(api)
    theirs = await open_campaign(api)
    answer = await api.client.post(
        f"{mine.base}/campaigns", json=campaign_body(theirs.sku_id), headers=mine.owner
    )
    assert (answer.status_code, code_of(answer)) == (422, "unknown_sku")


async def test_another_stores_campaign_answers_404(api):
    mine = await open_campaign(api)
    theirs = await open_campaign(api)
    other = theirs.campaign["id"]
    calls = [
        api.client.get(f"{mine.base}/campaigns/{other}", headers=mine.owner),
        api.client.put(
            f"{mine.base}/campaigns/{other}", json=campaign_body(mine.sku_id), headers=mine.owner
        ),
        api.client.post(f"{mine.base}/campaigns/{other}/stop", headers=mine.owner),
        api.client.get(f"{mine.base}/bargains?campaign_id={other}", headers=mine.owner),
        api.client.get(f"{mine.base}/figures?campaign_id={other}", headers=mine.owner),
    ]
    for call in calls:
        answer = await call
        assert answer.status_code == 404, answer.text
    # And the other store's staff may not read this store's campaigns at all.
    answer = await api.client.get(f"{mine.base}/campaigns", headers=theirs.owner)
    assert answer.status_code in (403, 404)


async def test_a_shopper_cannot_use_the_console_api(api):
    setup = await open_campaign(api)
    answer = await api.client.get(f"{setup.base}/campaigns", headers=await api.sign_in())
    assert answer.status_code in (403, 404)
