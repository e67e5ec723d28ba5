"""JSAPI orders as WeChat Pay checks them: the app must be bound to the merchant (a sub_appid
to the sub-merchant), and the payer's openid must be a user's of that app when paysim has a
payer directory (wxsim's); the JSAPI cashier sends the payer back to the merchant."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.paysim.fixtures import NOTIFY_URL
from weshop import cli
from weshop.payments.wechatpay.errors import WechatPayApiError
from weshop.payments.wechatpay.provider import WechatPay
from weshop.payments.wechatpay.transactions import TradeType
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import DIRECT_MCHID, PLATFORM_APPID, PLATFORM_MCHID, READY_SUB_MCHID
from weshop.paysim.payers import WxsimPayers
from weshop.wxsim.app import create_app as create_wxsim_app
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID, STORE_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim


@pytest.fixture
def wx() -> WxSim:
    return WxSim()


async def jsapi(pay: WechatPay, number: str, openid: str, **owner: str) -> dict:
    return await pay.transactions.create(
        TradeType.JSAPI,
        out_trade_no=number,
        description="WeShop 测试商品",
        total_fen=990,
        notify_url=NOTIFY_URL,
        payer_openid=openid,
        **owner,
    )


async def refused(pay: WechatPay, number: str, openid: str, **owner: str) -> WechatPayApiError:
    with pytest.raises(WechatPayApiError) as caught:
        await jsapi(pay, number, openid, **owner)
    return caught.value


async def test_an_order_under_an_app_not_bound_to_the_merchant_is_refused(
    direct, partner, sim, wx
) -> None:
    lina = wx.openid_of(PLATFORM_MINIPROGRAM_APPID, "lina")
    error = await refused(direct, "BIND0000001", lina, appid=PLATFORM_MINIPROGRAM_APPID)
    assert (error.http_status, error.wechat_code) == (400, "APPID_MCHID_NOT_MATCH")
    sim.bind_appid(DIRECT_MCHID, PLATFORM_MINIPROGRAM_APPID)
    sim.bind_appid(DIRECT_MCHID, PLATFORM_MINIPROGRAM_APPID)  # binding again changes nothing
    assert (await jsapi(direct, "BIND0000001", lina, appid=PLATFORM_MINIPROGRAM_APPID))[
        "prepay_id"
    ].startswith("wx")

    # A store's own app is bound to its sub-merchant, not to the platform.
    zhangmin = wx.openid_of(STORE_MINIPROGRAM_APPID, "zhangmin")
    sub = {"sub_mchid": READY_SUB_MCHID, "sub_appid": STORE_MINIPROGRAM_APPID}
    error = await refused(partner, "BIND0000002", zhangmin, **sub)
    assert error.wechat_code == "APPID_MCHID_NOT_MATCH" and "sub_appid" in error.wechat_message
    sim.bind_appid(PLATFORM_MCHID, STORE_MINIPROGRAM_APPID)
    assert (await refused(partner, "BIND0000002", zhangmin, **sub)).wechat_code == (
        "APPID_MCHID_NOT_MATCH"
    )
    sim.bind_appid(READY_SUB_MCHID, STORE_MINIPROGRAM_APPID)
    assert "prepay_id" in await jsapi(partner, "BIND0000002", zhangmin, **sub)
    with pytest.raises(ValueError, match="no merchant"):
        sim.bind_appid("1999999999", STORE_MINIPROGRAM_APPID)


async def test_with_a_payer_directory_the_openid_must_be_of_the_orders_app(
    direct, partner, sim, wx
) -> None:
    sim.payers = wx.knows
    sim.bind_appid(DIRECT_MCHID, PLATFORM_APPID)
    sim.bind_appid(READY_SUB_MCHID, STORE_MINIPROGRAM_APPID)
    official = {"appid": PLATFORM_APPID}
    # lina's openid of the mini-program is not hers in the official account: refused.
    of_another_app = wx.openid_of(PLATFORM_MINIPROGRAM_APPID, "lina")
    for openid in (of_another_app, "oNobodyKnowsThisOpenid0000000"):
        error = await refused(direct, "OPENID000001", openid, **official)
        assert (error.http_status, error.wechat_code) == (400, "PARAM_ERROR")
        assert error.wechat_message == "appid和openid不匹配"
    assert sim.trading.find(DIRECT_MCHID, "", "OPENID000001") is None
    hers = wx.openid_of(PLATFORM_APPID, "lina")
    assert "prepay_id" in await jsapi(direct, "OPENID000001", hers, **official)

    # Partner mode: sp_openid against sp_appid, sub_openid against sub_appid.
    error = await refused(partner, "OPENID000002", of_another_app, sub_mchid=READY_SUB_MCHID)
    assert error.wechat_message == "sp_appid和sp_openid不匹配"
    sub = {"sub_mchid": READY_SUB_MCHID, "sub_appid": STORE_MINIPROGRAM_APPID}
    error = await refused(partner, "OPENID000003", hers, **sub)
    assert error.wechat_message == "sub_appid和sub_openid不匹配"
    own = wx.openid_of(STORE_MINIPROGRAM_APPID, "lina")
    assert "prepay_id" in await jsapi(partner, "OPENID000003", own, **sub)


async def test_the_directory_of_a_running_wxsim_is_asked_over_http(wx) -> None:
    payers = WxsimPayers(
        "http://wxsim.test", transport=httpx.ASGITransport(app=create_wxsim_app(wx))
    )
    assert await payers(PLATFORM_APPID, wx.openid_of(PLATFORM_APPID, "chenjing")) is True
    assert await payers(PLATFORM_APPID, wx.openid_of(PLATFORM_MINIPROGRAM_APPID, "chenjing")) is (
        False
    )

    async def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("wxsim is not running", request=request)

    unreachable = WxsimPayers("http://wxsim.test", transport=httpx.MockTransport(down))
    with pytest.raises(ApiError) as caught:
        await unreachable(PLATFORM_APPID, "oAnyOpenid")
    assert (caught.value.status, caught.value.code) == (500, "SYSTEM_ERROR")


async def test_the_jsapi_cashier_sends_the_payer_back(direct, sim, cashier, wx) -> None:
    sim.payers = wx.knows
    sim.bind_appid(DIRECT_MCHID, PLATFORM_APPID)
    openid = wx.openid_of(PLATFORM_APPID, "wangwei")
    prepay_id = (await jsapi(direct, "BACK00000001", openid, appid=PLATFORM_APPID))["prepay_id"]
    params = direct.client.jsapi_pay_params(PLATFORM_APPID, prepay_id)
    back = "http://weshop.test/pay/return/BACK00000001"
    page = await cashier.get("/cashier/jsapi", params={**params, "redirect_url": back})
    assert page.status_code == 200 and f'value="{back}"' in page.text
    # Parameters signed for another app than the order's are refused, as WeChat does.
    other = direct.client.jsapi_pay_params(PLATFORM_MINIPROGRAM_APPID, prepay_id)
    assert (await cashier.get("/cashier/jsapi", params=other)).status_code == 400
    paid = await cashier.post(
        "/cashier/confirm", data={"prepay_id": prepay_id, "redirect_url": back}
    )
    assert "支付成功" in paid.text and f'href="{back}"' in paid.text
    assert sim.trading.find(DIRECT_MCHID, "", "BACK00000001")["payer_openid"] == openid


def test_the_command_binds_apps_and_names_its_payer_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: served.append(app))
    state = str(tmp_path / "paysim")
    result = CliRunner().invoke(
        cli.app,
        [
            "paysim",
            "--state-dir",
            state,
            "--bind-appid",
            f"{PLATFORM_MCHID}={PLATFORM_MINIPROGRAM_APPID}",
            "--wxsim-url",
            "http://127.0.0.1:8300",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{PLATFORM_MCHID}  {PLATFORM_MINIPROGRAM_APPID}" in result.output
    assert "http://127.0.0.1:8300" in result.output and len(served) == 1
    again = CliRunner().invoke(cli.app, ["paysim", "--state-dir", state])
    assert f"{PLATFORM_MCHID}  {PLATFORM_MINIPROGRAM_APPID}" in again.output  # kept
    assert "any openid" in again.output
    bad = CliRunner().invoke(cli.app, ["paysim", "--state-dir", state, "--bind-appid", "x"])
    assert bad.exit_code != 0 and "MCHID=APPID" in bad.output
    help_text = CliRunner().invoke(cli.app, ["paysim", "--help"]).output
    assert "--bind-appid" in help_text and "--wxsim-url" in help_text
