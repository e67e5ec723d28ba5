"""The JS-SDK stand-in in Chromium, on a page under WeShop's Content-Security-Policy (plus the
simulator's origin): the WeChat user signs in on the authorise page, wx.config succeeds with
the page's signature (or fails with WeChat's errMsg), a share card is recorded, the open tag
records consent and fires success, and getBrandWCPayRequest opens paysim's JSAPI cashier."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from playwright.async_api import Page, Route, expect

from tests.e2e.conftest import browser, phone  # noqa: F401
from tests.support import served
from tests.wxsim.conftest import OFFICIAL
from weshop.wxsim.app import create_app
from weshop.wxsim.simulator import WxSim

PAYSIM = "http://paysim.invalid"
PAGE_SCRIPT = """
var c = document.getElementById("config").dataset;
wx.config({appId: c.appId, timestamp: Number(c.timestamp), nonceStr: c.nonce,
  signature: c.signature, jsApiList: ["updateAppMessageShareData", "chooseWXPay"],
  openTagList: ["wx-open-subscribe"]});
wx.ready(function () {
  document.body.dataset.ready = "yes";
  wx.updateAppMessageShareData({title: "有机大米", desc: "五常新米", link: location.href,
    imgUrl: "https://shop.test/rice.jpg",
    success: function () { document.body.dataset.shared = "yes"; }});
});
wx.error(function (res) { document.body.dataset.error = res.errMsg; });
var tag = document.getElementById("subscribe");
tag.addEventListener("success", function (e) {
  document.body.dataset.subscribed = e.detail.subscribeDetails;
});
tag.addEventListener("error", function (e) { document.body.dataset.refused = e.detail.errMsg; });
document.getElementById("pay").addEventListener("click", function () {
  WeixinJSBridge.invoke("getBrandWCPayRequest", {appId: c.appId, timeStamp: "1700000000",
    nonceStr: "n1", package: "prepay_id=wx2017", signType: "RSA", paySign: "c2lnbg=="},
    function () {});
});
"""


def shop(sim_url: str, templates: list[str]) -> FastAPI:
    """A page of a shop opened in WeChat: it signs its own URL with a fresh ticket."""
    app = FastAPI()

    @app.get("/page.js")
    async def page_script() -> Response:
        return Response(PAGE_SCRIPT, media_type="application/javascript")

    @app.get("/product", response_class=HTMLResponse)
    async def product(request: Request, forge: str = "") -> HTMLResponse:
        async with httpx.AsyncClient(base_url=sim_url) as http:
            token = await http.get(
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": OFFICIAL,
                    "secret": request.app.state.secret,
                },
            )
            ticket = await http.get(
                "/cgi-bin/ticket/getticket",
                params={"access_token": token.json()["access_token"], "type": "jsapi"},
            )
        url = str(request.url) + forge
        plain = (
            f"jsapi_ticket={ticket.json()['ticket']}&noncestr=n0nce&timestamp=1700000000&url={url}"
        )
        signature = hashlib.sha1(plain.encode()).hexdigest()
        script_url = f"{sim_url}/open/js/jweixin-1.6.0.js?" + urlencode({"paysim": PAYSIM})
        html = f"""<!doctype html><html><head><meta charset="utf-8">
<script src="{escape(script_url)}"></script></head><body>
<div id="config" data-app-id="{OFFICIAL}" data-timestamp="1700000000" data-nonce="n0nce"
 data-signature="{signature}"></div>
<wx-open-subscribe id="subscribe" template="{",".join(templates)}">
<script type="text/wxtag-template"><style>button{{color: rgb(255, 0, 0)}}</style>
<button id="subscribe-button">订阅发货通知</button></script></wx-open-subscribe>
<button id="pay">微信支付</button><script src="/page.js"></script></body></html>"""
        policy = (
            f"default-src 'self'; script-src 'self' {sim_url}; connect-src 'self' {sim_url}; "
            "style-src 'self'; img-src 'self' https:; object-src 'none'; base-uri 'none'"
        )
        return HTMLResponse(html, headers={"content-security-policy": policy})

    return app


@pytest.fixture
async def sites() -> AsyncIterator[tuple[WxSim, str]]:
    async with AsyncExitStack() as stack:
        sim = WxSim(public_url="http://placeholder")
        sim_url = await stack.enter_async_context(served(create_app(sim)))
        sim.public_url = sim_url
        ids = sim.subscribe_templates(OFFICIAL)
        shop_app = shop(sim_url, [ids["order_shipped"], ids["order_delivered"]])
        shop_app.state.secret = sim.apps[OFFICIAL].secret
        shop_url = await stack.enter_async_context(served(shop_app))
        yield sim, shop_url


async def test_a_page_in_wechat_configures_shares_subscribes_and_pays(
    phone: Page,  # noqa: F811
    sites: tuple[WxSim, str],
) -> None:
    sim, shop_url = sites
    authorise = (
        f"{sim.public_url}/connect/oauth2/authorize?"
        + urlencode(
            {
                "appid": OFFICIAL,
                "redirect_uri": f"{shop_url}/product?id=7",
                "response_type": "code",
                "scope": "snsapi_base",
                "state": "st",
            }
        )
        + "#wechat_redirect"
    )
    await phone.goto(authorise)
    await phone.get_by_role("button", name="以 李娜 的身份继续").click()
    await phone.wait_for_url(f"{shop_url}/product?*")
    assert parse_qs(urlsplit(phone.url).query)["state"] == ["st"]

    body = phone.locator("body")
    await expect(body).to_have_attribute("data-shared", "yes")
    [share] = sim.shares
    assert (share.title, share.user, share.link) == ("有机大米", "lina", phone.url)

    button = phone.locator("#subscribe-button")
    assert await button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 0, 0)"
    await button.click()
    await expect(body).to_have_attribute("data-subscribed", re.compile("."))
    details = json.loads(await body.get_attribute("data-subscribed") or "")
    ids = sim.subscribe_templates(OFFICIAL)
    assert json.loads(details[ids["order_shipped"]]) == {"status": "accept"}
    openid = sim.openid_of(OFFICIAL, "lina")
    assert sim.messaging.allowances[(OFFICIAL, openid, ids["order_delivered"])] == 1

    opened: list[str] = []

    async def cashier(route: Route) -> None:
        opened.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<p>cashier</p>")

    await phone.route(f"{PAYSIM}/**", cashier)
    page_url = phone.url
    await phone.locator("#pay").click()
    await phone.wait_for_url(f"{PAYSIM}/**")
    [cashier_url] = opened
    query = parse_qs(urlsplit(cashier_url).query)
    assert urlsplit(cashier_url).path == "/cashier/jsapi"
    assert query["package"] == ["prepay_id=wx2017"] and query["paySign"] == ["c2lnbg=="]
    assert query["appId"] == [OFFICIAL] and query["redirect_url"] == [page_url]


async def test_a_wrong_signature_calls_wx_error(phone: Page, sites: tuple[WxSim, str]) -> None:  # noqa: F811
    sim, shop_url = sites
    await phone.goto(f"{shop_url}/product?id=7&forge=1", wait_until="load")
    body = phone.locator("body")
    await expect(body).to_have_attribute("data-error", "config:invalid signature")
    assert await body.get_attribute("data-ready") is None
    await phone.locator("#subscribe-button").click()
    await expect(body).to_have_attribute("data-refused", re.compile("^subscribe:fail"))
    assert sim.shares == []
