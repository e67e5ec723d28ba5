from tests.flashsale.conftest import attempt, item_row, open_flash, shoppers
from tests.support import expect


async def test_one_attempt_places_one_order(api, runtime):
    flash = await open_flash(api)
    [shopper] = await shoppers(runtime, 1)
    answer = expect(await attempt(api.client, flash.item_id, shopper), 201)
    assert answer["order_id"] and answer["payable_fen"] == 990
    assert (await item_row(runtime, flash.item_id)).sold == 1
