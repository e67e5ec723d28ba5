"""``weshop demo --wechat``: the shop inside WeChat, offline.

wxsim (the simulator of WeChat's platform APIs) runs beside WeShop and paysim on a port of its
own, and WeShop is pointed at it as at WeChat: the platform's official account (paysim's
platform appid, so JSAPI payments under it reach paysim's platform merchant) and mini-program
(bound at paysim to the platform merchant), a subscription template of each app for every
event and the official account's staff templates, all from wxsim's catalogue. paysim asks wxsim
whether a JSAPI payer's openid is a user's of the order's app, as WeChat Pay knows.

Two of wxsim's test users are the demo's own people: one has the phone of a demo shopper (signed
in inside WeChat, verifying that phone makes the two accounts one: the merge by phone), one the
phone of a store's owner and follows the official account (staff messages reach the owner once
they have signed in inside WeChat and verified their phone).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weshop.demo.data import FARM, SHOPPERS
from weshop.paysim.identity import PLATFORM_MCHID
from weshop.paysim.simulator import PaySim
from weshop.stores.models import Role
from weshop.wxsim.app import create_app as create_wxsim_app
from weshop.wxsim.apps import DEFAULT_USERS, TestUser, WxApp
from weshop.wxsim.launch import weshop_settings
from weshop.wxsim.simulator import WxSim

# wxsim listens on the demo's port + 200 (paysim on + 100).
PORT_OFFSET = 200
SEED_FILE = "seed"

DEMO_SHOPPER = SHOPPERS[0]
DEMO_STAFF_PHONE = FARM.staff_phones[Role.OWNER]
# First on the authorise page: the demo's shopper and the farm's owner, then wxsim's own.
DEMO_USERS = (
    TestUser("xiaoyu", DEMO_SHOPPER.name, DEMO_SHOPPER.phone, True, 2, color="#07c160"),
    TestUser("linshan", FARM.owner_name, DEMO_STAFF_PHONE, True, 1, color="#576b95"),
    *DEFAULT_USERS,
)


@dataclass
class OfflineWechat:
    sim: WxSim
    port: int

    @property
    def url(self) -> str:
        return self.sim.public_url

    @property
    def official(self) -> WxApp:
        return self._only("official")

    @property
    def miniprogram(self) -> WxApp:
        """The platform's mini-program: the one bound to the official account's open platform."""
        return self._only("miniprogram", bound=True)

    def _only(self, kind: str, *, bound: bool = False) -> WxApp:
        [app] = [
            app
            for app in self.sim.apps.values()
            if app.kind == kind and (not bound or app.open_platform is not None)
        ]
        return app

    def user_with_phone(self, phone: str) -> TestUser:
        [user] = [user for user in self.sim.users.values() if user.phone == phone]
        return user

    def asgi_app(self) -> Any:
        return create_wxsim_app(self.sim)


def _seed(directory: Path) -> str:
    """The simulator's seed, kept under the demo's data directory: openids, unionids, secrets
    and template ids stay the same across runs, so WeChat accounts made in one run sign in
    again in the next."""
    path = directory / SEED_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()


def open_offline_wechat(data_dir: Path, host: str, port: int, paysim_url: str) -> OfflineWechat:
    """wxsim at ``http://host:port``, its seed under ``<data_dir>/wxsim`` (kept across runs),
    sending JSAPI payers to paysim's cashier at ``paysim_url``."""
    sim = WxSim(
        users=DEMO_USERS,
        seed=_seed(data_dir / "wxsim"),
        public_url=f"http://{host}:{port}",
        paysim_url=paysim_url,
    )
    return OfflineWechat(sim, port)


def wechat_settings(wechat: OfflineWechat) -> dict[str, Any]:
    """Settings that point WeShop at wxsim as at WeChat: the platform's official account and
    mini-program and every template of wxsim's catalogue. wxsim's store-own mini-program is
    left out: the demo's stores sell under the platform's apps."""
    return {**weshop_settings(wechat.sim), "wechat_store_apps": []}


def connect_paysim(paysim: PaySim, wechat: OfflineWechat) -> None:
    """paysim takes JSAPI orders under the platform's mini-program too (the official account
    is the platform merchant's own appid), and asks wxsim whose openid a payer's is."""
    paysim.bind_appid(PLATFORM_MCHID, wechat.miniprogram.appid)
    paysim.payers = wechat.sim.knows


def banner(wechat: OfflineWechat, shop_url: str) -> str:
    """What the demo prints about WeChat: where wxsim is, how to open the shop as inside
    WeChat, and who to be there."""
    shop = shop_url.rstrip("/")
    shopper = wechat.user_with_phone(DEMO_SHOPPER.phone)
    staff = wechat.user_with_phone(DEMO_STAFF_PHONE)
    return "\n".join(
        [
            f"  WeChat            wxsim at {wechat.url}/wxsim (official account "
            f"{wechat.official.appid}, mini-program {wechat.miniprogram.appid})",
            f"  WeChat inbox      {wechat.url}/wxsim/inbox (the messages each WeChat user got)",
            f"  Share cards       {wechat.url}/wxsim/shares",
            "",
            "Open the shop as inside WeChat: a browser whose user agent contains MicroMessenger,",
            "e.g. Chromium's device toolbar (F12, Ctrl+Shift+M, Edit… a device with the user agent",
            '"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile MicroMessenger/8.0.50"),',
            f"or chromium --user-agent='… MicroMessenger/8.0.50' {shop}/",
            "The shop sends you to wxsim's authorise page: pick a WeChat user, pay by JSAPI in",
            "paysim's cashier, subscribe to shipping news; the inbox shows what was sent.",
            f"  {_user_line(shopper)}  has shopper {DEMO_SHOPPER.name}'s phone: verify it at "
            f"{shop}/me/phone and the two accounts become one",
            f"  {_user_line(staff)}  the farm's owner, follows the official account: staff "
            "messages once the phone is verified",
            "",
        ]
    )


def _user_line(user: TestUser) -> str:
    return f"{user.key:<8} {user.nickname} {user.phone}"
