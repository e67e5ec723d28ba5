"""wx.config for pages opened in WeChat: WeChat's signature, signed with the official
account's ticket from wxsim, only for this installation's pages."""

from __future__ import annotations

import pytest

from tests.support import expect
from weshop.wechat.jssdk import signature
from weshop.wxsim.jssdk import PageConfig
from weshop.wxsim.simulator import WxSim

from .conftest import OFFICIAL

JS_CONFIG = "/api/v1/wechat/js-config"


def accepted(sim: WxSim, config: dict, url: str) -> bool:
    """Whether WeChat (wxsim) accepts ``config`` on the page at ``url``."""
    page = PageConfig.of({**config, "url": url})
    return sim.jssdk.config_error(page) is None


# The worked example of WeChat's JS-SDK documentation (附录1 JS-SDK使用权限签名算法).
DOC_TICKET = (
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"),
        ("http://mp.weixin.qq.com", "f4d90daf4b3bca3078ab155816175ba34c443a7b"),
    ],
)
def test_signature_is_wechats_documented_example(url: str, expected: str) -> None:
    assert signature(DOC_TICKET, "Wm3WZYTPz0wzccnW", 1414587457, url) == expected


async def test_config_of_a_page_passes_wxsims_check(client, wxsim: WxSim) -> None:
    page = "http://test/p/12?from=timeline&x=中文"
    config = expect(await client.get(JS_CONFIG, params={"url": page + "#buy"}), 200)
    assert config["appId"] == OFFICIAL
    assert "updateAppMessageShareData" in config["jsApiList"]
    assert config["openTagList"] == ["wx-open-subscribe"]
    # Signed for the page without its fragment, as the browser's location.href.split('#')[0].
    assert accepted(wxsim, config, page)
    assert not accepted(wxsim, config, "http://test/p/12")


async def test_ticket_is_fetched_once_for_many_pages(client, wxsim: WxSim) -> None:
    before = wxsim.ticket_calls(OFFICIAL)
    for product_id in range(1, 6):
        expect(await client.get(JS_CONFIG, params={"url": f"http://test/p/{product_id}"}), 200)
    assert wxsim.ticket_calls(OFFICIAL) - before <= 1


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/p/1",
        "https://test.evil.example/p/1",
        "http://test@evil.example/p/1",
        "javascript:alert(1)//http://test/",
        "ftp://test/p/1",
        "http://test:8080/p/1",
        "http://test/p/1 x",
        "/p/1",
    ],
)
async def test_foreign_url_is_refused(client, wxsim: WxSim, url: str) -> None:
    before = wxsim.ticket_calls(OFFICIAL)
    answer = expect(await client.get(JS_CONFIG, params={"url": url}), 403)
    assert answer["error"]["code"] == "foreign_url"
    assert wxsim.ticket_calls(OFFICIAL) == before


@pytest.mark.usefixtures("unconfigured")
async def test_without_an_official_account_there_is_no_config(client) -> None:
    answer = expect(await client.get(JS_CONFIG, params={"url": "http://test/p/1"}), 404)
    assert answer["error"]["code"] == "wechat_not_configured"
