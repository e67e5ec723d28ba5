"""A WeChat shopper buying at a store, and what WeChat's inbox and WeShop's message log say,
for the tests of subscription and staff messages."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support import Api, Headers, expect
from weshop.paysim.identity import PLATFORM_APPID
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID
from weshop.wxsim.simulator import WxSim

OFFICIAL = PLATFORM_APPID
MINIPROGRAM = PLATFORM_MINIPROGRAM_APPID


@dataclass
class WechatBuyer:
    user: str  # the wxsim test user
    headers: Headers
    user_id: int
    address_id: int


@dataclass
class Store:
    id: int
    owner: Headers
    sku_id: int


@pytest.fixture
def message_templates(runtime, wxsim: WxSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation configured with wxsim's templates for every event (the session's
    settings have none: elsewhere an event sends nothing and queues nothing)."""
    settings = runtime.settings
    for kind, appid in (("miniprogram", MINIPROGRAM), ("official", OFFICIAL)):
        for event, template_id in wxsim.subscribe_templates(appid).items():
            monkeypatch.setitem(settings.wechat_subscribe_templates, f"{kind}.{event}", template_id)
    for event, template_id in wxsim.staff_templates(OFFICIAL).items():
        monkeypatch.setitem(settings.wechat_staff_templates, event, template_id)


async def wechat_buyer(api: Api, sim: WxSim, user: str) -> WechatBuyer:
    """``user`` signs in to the mini-program (``wx.login``'s code) and adds an address."""
    code = sim.login_code(MINIPROGRAM, user)
    signed_in = expect(
        await api.client.post("/api/v1/auth/wechat/miniprogram", json={"code": code}), 201
    )
    headers = {"Authorization": f"Bearer {signed_in['token']}"}
    address = await api.add_address(headers)
    return WechatBuyer(user, headers, signed_in["user"]["id"], address["id"])


async def open_store(api: Api, *, title: str = "纯棉T恤", stock: int = 50) -> Store:
    store_id, owner = await api.new_store()
    product = await api.create_product(store_id, owner, title=title, stock=stock)
    return Store(store_id, owner, product["skus"][0]["id"])


async def paid_order(api: Api, buyer: WechatBuyer, store: Store, quantity: int = 2) -> dict:
    placed = expect(
        await api.place_order(buyer.headers, buyer.address_id, [(store.sku_id, quantity)]), 201
    )
    order = placed["orders"][0]
    await api.confirm_in_cashier(await api.start_payment(buyer.headers, order["id"]))
    return await api.order(buyer.headers, order["id"])


async def ship(
    client: httpx.AsyncClient, store: Store, order: dict, tracking_no: str, items=None
) -> dict:
    package: dict = {"carrier": "顺丰", "tracking_no": tracking_no}
    if items is not None:
        package["items"] = items
    return expect(
        await client.post(
            f"/api/v1/merchant/stores/{store.id}/orders/{order['id']}/shipments",
            json={"packages": [package]},
            headers=store.owner,
        ),
        200,
    )


def template(sim: WxSim, appid: str, event: str) -> str:
    return sim.subscribe_templates(appid)[event]


async def subscribe(
    client: httpx.AsyncClient, sim: WxSim, buyer: WechatBuyer, events: list[str], times: int = 1
) -> list[dict]:
    """The shopper accepts these templates in the mini-program ``times`` times over, and the
    mini-program reports each answer to WeShop, as after ``wx.requestSubscribeMessage``."""
    ids = [template(sim, MINIPROGRAM, event) for event in events]
    openid = sim.openid_of(MINIPROGRAM, buyer.user)
    answer: list[dict] = []
    for _ in range(times):
        results = sim.accept_subscription(MINIPROGRAM, openid, ids)
        answer = expect(
            await client.post(
                "/api/v1/me/wechat/subscriptions",
                json={"kind": "miniprogram", "results": results},
                headers=buyer.headers,
            ),
            200,
        )
    return answer


async def message_log(client: httpx.AsyncClient, store: Store) -> list[dict]:
    found = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store.id}/wechat/messages", headers=store.owner
        ),
        200,
    )
    return found["items"]


class Inbox:
    """A test user's wxsim inbox from now on (wxsim lives for the whole session)."""

    def __init__(self, sim: WxSim, user: str) -> None:
        self.sim = sim
        self.user = user
        self.seen = len(sim.inbox(user))

    def new(self) -> list:
        inbox = self.sim.inbox(self.user)
        return inbox[: len(inbox) - self.seen]

    def titles(self) -> list[str]:
        return [message.title for message in self.new()]


WECHAT_BROWSER = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 MicroMessenger/8.0.50 NetType/WIFI"


async def official_sign_in(app, sim: WxSim, user: str) -> Headers:
    """The page opened in WeChat's browser goes through the official account's web
    authorisation (wxsim's user ``user`` allows it) and comes back signed in: the session's
    token, as bearer headers."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
        authorise = await browser.get("/", headers={"User-Agent": WECHAT_BROWSER})
        assert authorise.status_code == 302, authorise.text
        query = httpx.URL(authorise.headers["location"]).params
        code = sim.web.authorise(OFFICIAL, user, query["scope"])
        back = httpx.URL(query["redirect_uri"]).copy_merge_params(
            {"code": code, "state": query["state"]}
        )
        signed_in = await browser.get(str(back), headers={"User-Agent": WECHAT_BROWSER})
        assert signed_in.status_code == 303, signed_in.text
        return {"Authorization": f"Bearer {browser.cookies['weshop_session']}"}


async def link_wechat(api: Api, sim: WxSim, app, user: str) -> None:
    """The account of ``user``'s phone (wxsim's test user) signs in through WeChat: in the
    mini-program, giving its phone (getPhoneNumber) so that the two accounts become one, then
    on a page of the official account (bound to the same open platform: the unionid finds the
    account), which gives WeShop the openid under the official account."""
    code = sim.login_code(MINIPROGRAM, user)
    signed_in = expect(
        await api.client.post("/api/v1/auth/wechat/miniprogram", json={"code": code}), 201
    )
    expect(
        await api.client.post(
            "/api/v1/me/wechat/phone",
            json={"code": sim.phone_code(MINIPROGRAM, user)},
            headers={"Authorization": f"Bearer {signed_in['token']}"},
        ),
        200,
    )
    sim.web.authorise(OFFICIAL, user, "snsapi_userinfo")  # allowed the account's profile once
    await official_sign_in(app, sim, user)


async def store_with_wechat_owner(api: Api, app, sim: WxSim, user: str) -> Store:
    """A store whose owner is wxsim's ``user`` (their phone), signed in through WeChat once."""
    phone = sim.users[user].phone
    operator = await api.operator()
    store = expect(
        await api.client.post(
            "/api/v1/platform/stores",
            json={"name": "微信小店", "owner_phone": phone},
            headers=operator,
        ),
        201,
    )
    owner = await api.sign_in(phone)
    await link_wechat(api, sim, app, user)
    product = await api.create_product(store["id"], owner, stock=50)
    return Store(store["id"], owner, product["skus"][0]["id"])


async def add_wechat_staff(api: Api, app, sim: WxSim, store: Store, user: str) -> Headers:
    """An operator of the store who is wxsim's ``user``, signed in through WeChat once."""
    phone = sim.users[user].phone
    member = expect(
        await api.client.post(
            f"/api/v1/merchant/stores/{store.id}/staff",
            json={"phone": phone, "role": "operator"},
            headers=store.owner,
        ),
        201,
    )
    headers = await api.sign_in(phone)
    expect(
        await api.client.post(f"/api/v1/me/invitations/{member['id']}/accept", headers=headers),
        200,
    )
    await link_wechat(api, sim, app, user)
    return headers
