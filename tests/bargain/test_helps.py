"""Friends' helps: each cuts at least 1 fen, the K-th lands on the floor, and the rules
(signed in, no self-help, once per bargain, a daily cap, new users only, shared device or IP
recorded but not counted) hold, also under 50 concurrent helps."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import httpx
from sqlalchemy import func, select

from tests.bargain.conftest import code_of, help_, open_campaign, start, started
from tests.support import expect
from weshop.bargain.models import Bargain, BargainHelp


async def help_rows(runtime, bargain_id: int) -> list[BargainHelp]:
    async with runtime.db.session(write=False) as session:
        rows = await session.scalars(
            select(BargainHelp).where(BargainHelp.bargain_id == bargain_id)
        )
        return list(rows)


async def bargain_row(runtime, bargain_id: int) -> Bargain:
    async with runtime.db.session(write=False) as session:
        row = await session.get(Bargain, bargain_id)
        assert row is not None
        return row


async def test_k_helps_cut_the_price_down_to_the_floor_exactly(api, runtime):
    setup = await open_campaign(api, helps_needed=4, floor_price_fen=1234)
    _, bargain = await started(api, setup.campaign["id"])
    assert (bargain["current_price_fen"], bargain["status"]) == (10_000, "in_progress")
    assert (bargain["helps_needed"], bargain["remaining_fen"]) == (4, 10_000 - 1234)
    prices = [bargain["current_price_fen"]]
    for _ in range(4):
        answer = expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
        prices.append(answer["current_price_fen"])
    assert prices[-1] == 1234 and answer["remaining_fen"] == 0
    assert all(a > b for a, b in itertools.pairwise(prices))
    assert answer["status"] == "reached_floor"
    assert answer["cut_fen"] == 10_000 - 1234
    assert [h["cut_fen"] for h in reversed(answer["helps"])] == [
        a - b for a, b in itertools.pairwise(prices)
    ]
    # Masked names only.
    assert all("****" in h["helper"] for h in answer["helps"])
    late = await help_(api.client, await api.sign_in(), bargain["id"])
    assert (late.status_code, code_of(late)) == (409, "bargain_complete")
    assert len(await help_rows(runtime, bargain["id"])) == 4


async def test_a_bargain_is_public_by_its_link(api):
    setup = await open_campaign(api)
    _, bargain = await started(api, setup.campaign["id"])
    public = expect(await api.client.get(f"/api/v1/shop/bargains/{bargain['id']}"), 200)
    assert public["current_price_fen"] == 10_000
    assert (public["can_buy"], public["order_id"]) == (False, None)
    assert "seed" not in public
    missing = await api.client.get("/api/v1/shop/bargains/999999")
    assert missing.status_code == 404


async def test_no_self_help_and_sign_in_needed(api, runtime):
    setup = await open_campaign(api)
    starter, bargain = await started(api, setup.campaign["id"])
    own = await help_(api.client, starter, bargain["id"])
    assert (own.status_code, code_of(own)) == (409, "self_help")
    assert own.json()["error"]["code"] == "self_help"
    anonymous = await api.client.post(f"/api/v1/shop/bargains/{bargain['id']}/helps")
    assert anonymous.status_code == 401
    assert await help_rows(runtime, bargain["id"]) == []


async def test_a_repeated_help_answers_the_first_help_and_writes_nothing(api, runtime):
    setup = await open_campaign(api, helps_needed=2, helper_daily_cap=1)
    _, bargain = await started(api, setup.campaign["id"])
    friend = await api.sign_in()
    first = expect(await help_(api.client, friend, bargain["id"]), 201)
    cut = first["your_help"]["cut_fen"]
    assert cut == bargain["current_price_fen"] - first["current_price_fen"] > 0
    # A retry: the same help, though the friend's daily cap (1) is used up.
    again = expect(await help_(api.client, friend, bargain["id"]), 200)
    assert again["your_help"] == first["your_help"]
    assert (again["current_price_fen"], again["counted_helps"]) == (
        first["current_price_fen"],
        1,
    )
    # Still the first help after the bargain has reached its floor.
    expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
    late = expect(await help_(api.client, friend, bargain["id"]), 200)
    assert (late["status"], late["your_help"]["cut_fen"]) == ("reached_floor", cut)
    assert len(await help_rows(runtime, bargain["id"])) == 2
    row = await bargain_row(runtime, bargain["id"])
    assert (row.counted_helps, row.recorded_helps) == (2, 2)
    # Others reading the bargain see no help of theirs.
    public = expect(await api.client.get(f"/api/v1/shop/bargains/{bargain['id']}"), 200)
    assert public["your_help"] is None


async def test_concurrent_repeats_of_one_friends_help_count_once(api, runtime, live_url):
    setup = await open_campaign(api, helps_needed=5)
    _, bargain = await started(api, setup.campaign["id"])
    friend = await api.sign_in()
    async with httpx.AsyncClient(base_url=live_url, timeout=120) as http:
        answers = await asyncio.gather(*(help_(http, friend, bargain["id"]) for _ in range(8)))
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 7}
    assert len({a.json()["your_help"]["cut_fen"] for a in answers}) == 1
    [row] = await help_rows(runtime, bargain["id"])
    assert row.counted and (await bargain_row(runtime, bargain["id"])).counted_helps == 1


async def test_a_helper_has_a_daily_cap_per_campaign(api, runtime):
    setup = await open_campaign(api, helper_daily_cap=2, helps_needed=5)
    bargains = [(await started(api, setup.campaign["id"]))[1] for _ in range(3)]
    helper = await api.sign_in()
    for bargain in bargains[:2]:
        expect(await help_(api.client, helper, bargain["id"]), 201)
    capped = await help_(api.client, helper, bargains[2]["id"])
    assert (capped.status_code, code_of(capped)) == (409, "daily_cap_reached")
    assert await help_rows(runtime, bargains[2]["id"]) == []
    assert (await bargain_row(runtime, bargains[2]["id"])).current_price_fen == 10_000


async def test_helps_from_the_starters_device_beyond_the_allowance_are_recorded_not_counted(
    api, runtime
):
    setup = await open_campaign(api, max_shared_helps=1, helps_needed=5)
    _, bargain = await started(api, setup.campaign["id"], device="phone-of-starter")
    first = expect(
        await help_(api.client, await api.sign_in(), bargain["id"], "phone-of-starter"), 201
    )
    assert first["counted_helps"] == 1
    second = expect(
        await help_(api.client, await api.sign_in(), bargain["id"], "phone-of-starter"), 201
    )
    assert second["counted_helps"] == 1
    assert second["current_price_fen"] == first["current_price_fen"]
    rows = sorted(await help_rows(runtime, bargain["id"]), key=lambda row: row.id)
    assert [(row.counted, row.reason) for row in rows] == [(True, ""), (False, "shared_device")]
    assert rows[1].cut_fen == 0

    listed = expect(await api.client.get(f"{setup.base}/bargains", headers=setup.owner), 200)[
        "items"
    ]
    [shown] = listed
    assert shown["recorded_helps"] == 2 and shown["counted_helps"] == 1
    assert [(h["counted"], h["reason"]) for h in shown["helps"]] == [
        (True, ""),
        (False, "shared_device"),
    ]


async def test_helps_from_the_starters_ip_beyond_the_allowance_are_recorded_not_counted(
    api, runtime
):
    """The test client's requests all come from one address: the starter's."""
    setup = await open_campaign(api, max_shared_helps=0)
    _, bargain = await started(api, setup.campaign["id"], device="a")
    answer = expect(await help_(api.client, await api.sign_in(), bargain["id"], "b"), 201)
    assert (answer["counted_helps"], answer["current_price_fen"]) == (0, 10_000)
    [row] = await help_rows(runtime, bargain["id"])
    assert (row.counted, row.reason) == (False, "shared_ip")


async def test_new_users_only_refuses_older_accounts(api):
    setup = await open_campaign(api, new_users_only_helps=True)
    old_friend = await api.sign_in()
    _, bargain = await started(api, setup.campaign["id"])
    refused = await help_(api.client, old_friend, bargain["id"])
    assert (refused.status_code, code_of(refused)) == (409, "new_users_only")
    expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)


async def test_starting_again_answers_the_open_bargain(api, runtime):
    setup = await open_campaign(api, helps_needed=3)
    shopper, bargain = await started(api, setup.campaign["id"])
    expect(await help_(api.client, await api.sign_in(), bargain["id"]), 201)
    again = expect(await start(api.client, shopper, setup.campaign["id"]), 200)
    assert (again["id"], again["counted_helps"]) == (bargain["id"], 1)
    async with runtime.db.session(write=False) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Bargain)
            .where(Bargain.campaign_id == setup.campaign["id"])
        )
    assert count == 1


async def test_50_concurrent_helps_on_a_bargain_needing_10_count_exactly_10(api, runtime, live_url):
    setup = await open_campaign(api, helps_needed=10, floor_price_fen=2500)
    _, bargain = await started(api, setup.campaign["id"])
    helpers = [await api.sign_in() for _ in range(50)]
    async with httpx.AsyncClient(base_url=live_url, timeout=120) as http:
        answers = await asyncio.gather(*(help_(http, h, bargain["id"]) for h in helpers))
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 10, 409: 40}, statuses
    assert {code_of(a) for a in answers if a.status_code == 409} == {"bargain_complete"}
    for answer in answers:
        if answer.status_code == 201:
            assert answer.json()["current_price_fen"] >= 2500
    row = await bargain_row(runtime, bargain["id"])
    assert (row.counted_helps, row.current_price_fen, row.status) == (10, 2500, "reached_floor")
    rows = await help_rows(runtime, bargain["id"])
    assert len(rows) == 10 and all(r.counted and r.cut_fen >= 1 for r in rows)
    assert sum(r.cut_fen for r in rows) == 10_000 - 2500


async def test_concurrent_starts_by_one_shopper_make_one_bargain(api, live_url):
    setup = await open_campaign(api)
    shopper = await api.sign_in()
    async with httpx.AsyncClient(base_url=live_url, timeout=120) as http:
        answers = await asyncio.gather(
            *(start(http, shopper, setup.campaign["id"]) for _ in range(10))
        )
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 9}
    assert len({a.json()["id"] for a in answers}) == 1


async def test_my_bargains_lists_only_mine(api):
    setup = await open_campaign(api)
    other = await open_campaign(api)
    shopper, first = await started(api, setup.campaign["id"])
    second = expect(await start(api.client, shopper, other.campaign["id"]), 201)
    await started(api, setup.campaign["id"])  # someone else's
    mine = expect(await api.client.get("/api/v1/me/bargains?limit=1", headers=shopper), 200)
    assert [b["id"] for b in mine["items"]] == [second["id"]]
    rest = expect(
        await api.client.get(
            f"/api/v1/me/bargains?limit=1&cursor={mine['next_cursor']}", headers=shopper
        ),
        200,
    )
    assert [b["id"] for b in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
