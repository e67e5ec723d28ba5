"""wxsim's index page: its apps with their calls, its users with their openids, recent calls."""

from __future__ import annotations

from tests.wxsim.conftest import MINIPROGRAM, OFFICIAL, token_of
from weshop.wxsim.simulator import WxSim


async def test_the_index_lists_apps_users_openids_and_recent_calls(client, sim: WxSim) -> None:
    empty = await client.get("/wxsim")
    assert "还没有调用" in empty.text
    await token_of(client, sim, MINIPROGRAM)
    page = await client.get("/wxsim")
    assert page.status_code == 200
    for appid in sim.apps:
        assert appid in page.text
    for user in sim.users.values():
        assert user.nickname in page.text
        assert sim.openid_of(OFFICIAL, user.key) in page.text
    assert f"{MINIPROGRAM} /cgi-bin/token" in page.text
    assert 'href="/wxsim/inbox"' in page.text and 'href="/wxsim/shares"' in page.text
