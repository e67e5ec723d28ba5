"""The one WeChat client: tickets cached like tokens, images, WeChat's errors, a refused token
refreshed and the call tried once more."""

from __future__ import annotations

import pytest

from tests.wechat.support import MINIPROGRAM
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wechat.apps import wechat_apps
from weshop.wechat.client import wechat_client
from weshop.wechat.errors import WechatApiError


async def test_a_jsapi_ticket_is_fetched_once_and_kept(runtime, wxsim):
    official = wechat_apps(runtime.settings).official
    client = wechat_client(runtime)
    before = wxsim.ticket_calls(PLATFORM_APPID)
    tickets = {await client.jsapi_ticket(official) for _ in range(5)}
    assert len(tickets) == 1
    assert wxsim.ticket_calls(PLATFORM_APPID) - before == 1


async def test_an_image_answer_or_wechat_error(runtime, wxsim):
    mini = wechat_apps(runtime.settings).miniprogram
    client = wechat_client(runtime)
    image = await client.post_for_image(
        mini, "/wxa/getwxacodeunlimit", {"scene": "p=1", "page": "pages/index/index"}
    )
    assert image.startswith(b"\x89PNG")
    with pytest.raises(WechatApiError) as refused:
        await client.post_for_image(mini, "/wxa/getwxacodeunlimit", {"scene": "", "page": "x/y"})
    assert refused.value.errcode in {40129, 41030} and refused.value.code == "wechat_api_error"
    # The ticket API is the official account's: WeChat's own error for a mini-program.
    with pytest.raises(WechatApiError) as unauthorised:
        await client.get_json(mini, "/cgi-bin/ticket/getticket", {"type": "jsapi"})
    assert unauthorised.value.errcode == 48001


async def test_a_token_wechat_ended_is_fetched_again_once(runtime, wxsim):
    mini = wechat_apps(runtime.settings).miniprogram
    client = wechat_client(runtime)
    token = await client.access_token(mini)
    before = wxsim.token_calls(MINIPROGRAM)
    wxsim.expire_tokens(MINIPROGRAM)
    image = await client.post_for_image(
        mini, "/wxa/getwxacodeunlimit", {"scene": "p=1", "page": "pages/index/index"}
    )
    assert image.startswith(b"\x89PNG")
    assert wxsim.token_calls(MINIPROGRAM) - before == 1
    assert await client.access_token(mini) != token
