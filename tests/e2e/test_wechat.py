"""Shopping inside WeChat, in Debian's Chromium with WeChat's user agent, against WeShop, paysim
and wxsim served on loopback and wired as ``weshop demo --wechat`` wires them (its functions).

A shopper opens a product from a chat: the shop sends them through the official account's web
authorisation (wxsim's authorise page: pick a WeChat user) and they come back signed in; the
page set its share card through the JS-SDK. They add an address, buy, pay by JSAPI (WeShop's
page hands the signed parameters to WeixinJSBridge, the JS-SDK stand-in opens paysim's JSAPI
cashier, paysim calls WeShop back), subscribe to shipping news with the ``<wx-open-subscribe>``
button; the store ships, the worker sends the subscription message, and wxsim's inbox page
shows that WeChat user the shipping notice (订单发货…) with the order number.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.async_api import Page

from tests.support import expect, free_port, new_phone, served
from weshop.app import create_app
from weshop.core.config import Settings
from weshop.core.worker import Worker
from weshop.demo.wechat import OfflineWechat, connect_paysim, open_offline_wechat, wechat_settings
from weshop.demo.wechatpay import (
    OfflineWechatPay,
    give_stores_sub_merchants,
    open_offline_wechatpay,
    wechatpay_settings,
)
from weshop.paysim.app import create_app as create_paysim_app
from weshop.wxsim.jssdk import Share
from weshop.wxsim.messages import Message

PRODUCT = "明前龙井 春茶 250g"
SHOPPER = "lina"  # one of wxsim's test users: 李娜, who follows the official account
TRACKING_NO = "SF1000200030"
T = TypeVar("T")
# The text of one user's part of wxsim's inbox page: what follows their heading, up to the next.
USERS_INBOX = """(who) => {
  const heading = [...document.querySelectorAll("h2")].find((h) => h.textContent.includes(who));
  let text = "";
  for (let e = heading.nextElementSibling; e && e.tagName !== "H2"; e = e.nextElementSibling) {
    text += e.innerText + "\\n";
  }
  return text;
}"""


@dataclass
class InsideWechat:
    shop: str  # WeShop's URL
    runtime: Any  # WeShop's runtime, configured as `weshop demo --wechat` configures it
    settings: Settings
    wechatpay: OfflineWechatPay
    wechat: OfflineWechat


@pytest.fixture
async def inside_wechat(settings: Settings, app, tmp_path: Path) -> AsyncIterator[InsideWechat]:
    """WeShop (over the suite's database), paysim and wxsim, each on a loopback port."""
    shop_port, paysim_port, wxsim_port = free_port(), free_port(), free_port()
    shop_url = f"http://127.0.0.1:{shop_port}"
    wechatpay = open_offline_wechatpay(tmp_path, "127.0.0.1", paysim_port)
    wechat = open_offline_wechat(tmp_path, "127.0.0.1", wxsim_port, wechatpay.url)
    connect_paysim(wechatpay.sim, wechat)
    shop_settings = settings.model_copy(
        update={
            "public_base_url": shop_url,
            **wechatpay_settings(wechatpay, tmp_path),
            **wechat_settings(wechat),
        }
    )
    shop = create_app(shop_settings, check_schema=False)
    try:
        async with (
            shop.router.lifespan_context(shop),
            served(shop, shop_port),
            served(create_paysim_app(wechatpay.sim), paysim_port),
            served(wechat.asgi_app(), wxsim_port),
        ):
            yield InsideWechat(shop_url, shop.state.runtime, shop_settings, wechatpay, wechat)
    finally:
        wechatpay.sim.store.close()


def browser_problems(page: Page) -> list[str]:
    """What the page's scripts say went wrong from now on (errors and warnings on the console,
    uncaught exceptions): the likely reason when a step inside WeChat never happens."""
    said: list[str] = []
    page.on(
        "console",
        lambda message: (
            said.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: said.append(f"uncaught: {error}"))
    page.on(
        "response",
        lambda response: (
            said.append(f"{response.status} from {response.url}")
            if response.status >= 400
            else None
        ),
    )
    return said


async def eventually(
    what: str,
    probe: Callable[[], Awaitable[T | None]],
    problems: list[str],
    seconds: float = 15,
) -> T:
    """``probe``'s first answer that is not None, or a failure naming what never came and
    what the browser said meanwhile."""
    for _ in range(int(seconds * 10)):
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s; the browser said {problems}")


async def a_tea_shop(api, client, world: InsideWechat) -> tuple[int, dict, dict]:
    """A store (a sub-merchant at paysim, as the demo gives every store) selling one tea: its
    id, its owner's headers and the product."""
    store, owner = await api.create_store(await api.operator(), "山野茶铺")
    tea = await api.create_product(store["id"], owner, title=PRODUCT, price_fen=15800, stock=20)
    await give_stores_sub_merchants(world.settings, world.wechatpay.sim)
    return store["id"], owner, tea


async def test_a_shopper_signs_in_pays_and_is_told_of_shipping_inside_wechat(
    api, client: httpx.AsyncClient, wechat_phone: Page, inside_wechat: InsideWechat
) -> None:
    world, page = inside_wechat, wechat_phone
    problems = browser_problems(page)
    shop, wxsim = world.shop, world.wechat.url
    store_id, owner, tea = await a_tea_shop(api, client, world)
    official = world.wechat.official.appid

    # From a chat to the product: through the official account's web authorisation.
    await page.goto(f"{shop}/p/{tea['id']}")
    await page.wait_for_url(f"{wxsim}/connect/oauth2/authorize**")
    user = world.wechat.sim.users[SHOPPER]
    await page.get_by_role("button", name=f"以 {user.nickname} 的身份继续").click()
    await page.wait_for_url(f"{shop}/p/{tea['id']}")

    # The product page set its share card at wxsim through the JS-SDK (wx.config checked).
    async def shared() -> Share | None:
        return next((s for s in world.wechat.sim.shares if PRODUCT in s.title), None)

    card = await eventually("the product page's share card at wxsim", shared, problems)
    assert card.appid == official
    assert card.link.startswith(f"{shop}/p/{tea['id']}"), card.link

    # An address, then buy and place the order.
    await page.goto(f"{shop}/me/addresses/new")
    await page.fill("#f-recipient", "李娜")
    await page.fill("#f-phone", new_phone())
    await page.select_option("#f-province", "浙江省")
    await page.fill("#f-city", "杭州市")
    await page.fill("#f-district", "西湖区")
    await page.fill("#f-detail", "文三路 100 号 1 单元 101")
    await page.get_by_role("button", name="保存").click()
    await page.wait_for_url(f"{shop}/me/addresses")
    await page.goto(f"{shop}/p/{tea['id']}")
    await page.click("button[value=buy]")
    await page.wait_for_url("**/checkout**")
    await page.click("button[value=place]")
    await page.wait_for_url("**/me/orders/*?notice=placed")
    order_id = int(page.url.split("/me/orders/")[1].split("?")[0])

    # Pay by JSAPI: WeixinJSBridge opens paysim's JSAPI cashier, which checks the paySign
    # and that the payer's openid is the shopper's under the official account.
    await page.click("text=支付 ¥")
    await page.wait_for_url(f"{world.wechatpay.url}/cashier/jsapi**")
    await page.click("text=确认支付")
    await page.wait_for_selector("text=支付成功")
    await page.click("text=返回商户")
    await page.wait_for_url(f"{shop}/me/orders/{order_id}/result")
    await page.wait_for_selector("text=支付成功")

    # Subscribe to shipping news with the official account's open tag.
    subscribe = page.locator("[data-wechat-subscribe] wx-open-subscribe")
    await subscribe.wait_for(state="visible")
    await subscribe.click()
    await page.locator("[data-wechat-subscribe-done]").wait_for(state="visible")

    # The store ships; the worker sends the message; wxsim's inbox shows it to the shopper.
    # (To WeShop as configured for WeChat: the suite's own app sends no WeChat messages.)
    async with httpx.AsyncClient(base_url=shop) as staff_client:
        shipped = expect(
            await staff_client.post(
                f"/api/v1/merchant/stores/{store_id}/orders/{order_id}/shipments",
                json={"packages": [{"carrier": "顺丰速运", "tracking_no": TRACKING_NO}]},
                headers=owner,
            ),
            200,
        )
    order_no = shipped["order_no"]
    worker = Worker(world.runtime.db, world.runtime.handlers, world.runtime)

    async def received() -> list[Message] | None:
        await worker.run_once()
        inbox = world.wechat.sim.inbox(SHOPPER)
        return inbox or None

    [message] = await eventually("the shipped message in wxsim's inbox", received, problems)
    # The official account's subscription message (bizsend) of the template WeShop was given
    # for shipping; the paid message found no consent yet (the shopper subscribed after).
    shipped_template = world.settings.wechat_subscribe_templates["official.order_shipped"]
    assert (message.appid, message.template_id) == (official, shipped_template), message
    assert message.title.startswith("订单发货"), message.title
    assert dict(message.fields) == {
        "订单编号": order_no,
        "商品名称": PRODUCT,
        "快递公司": "顺丰速运",
        "快递单号": TRACKING_NO,
    }
    await page.goto(f"{wxsim}/wxsim/inbox")
    received_by_shopper = await page.evaluate(USERS_INBOX, f"（{SHOPPER}）")
    assert message.title in received_by_shopper and order_no in received_by_shopper
