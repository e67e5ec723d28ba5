"""``weshop demo --wechat`` as a user runs it: one command (one demo for this module), then the
shop works as inside WeChat against wxsim on PORT+200 — a page opened in WeChat goes to wxsim's
authorise page; a WeChat user signs in from the mini-program and pays through paysim by the
mini-program channel; the demo shopper's WeChat user, verifying the phone by a code, lands in
the demo shopper's account. (The browser journey inside WeChat is tests/e2e/test_wechat.py.)"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import expect
from weshop import demo
from weshop.demo.data import FARM
from weshop.demo.wechat import DEMO_USERS, PORT_OFFSET
from weshop.paysim.identity import PLATFORM_APPID
from weshop.stores.models import Role
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID

SHOPPER = demo.SHOPPERS[0]
WECHAT_USER_AGENT = "Mozilla/5.0 (Linux; Android 14) Mobile MicroMessenger/8.0.50"


def free_ports() -> int:
    """A port P such that P, P + 100 (paysim's) and P + 200 (wxsim's) are all free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + PORT_OFFSET > 65535:
            continue
        try:
            for other in (port + 100, port + PORT_OFFSET):
                with socket.socket() as sibling:
                    sibling.bind(("127.0.0.1", other))
        except OSError:
            continue
        return port
    raise RuntimeError("no free ports P, P+100, P+200")


@asynccontextmanager
async def demo_running(data_dir: Path, port: int) -> AsyncIterator[str]:
    """``weshop demo --wechat --port PORT`` in a process of its own; yields what it printed
    before serving, once the shop answers."""
    env = dict(
        os.environ,
        WESHOP_DATA_DIR=str(data_dir),
        WESHOP_DATABASE_URL=f"sqlite+aiosqlite:///{data_dir}/demo.db",
        WESHOP_LOG_LEVEL="WARNING",
    )
    env.pop("WESHOP_REDIS_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weshop.cli", "demo", "--wechat", "--port", str(port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    printed: list[str] = []
    try:
        async with asyncio.timeout(180):
            # The banner ends with the WeChat users (the staff's last); then the servers start.
            last = DEMO_USERS[1].key
            while not any(line.strip().startswith(last) for line in printed):
                line = (await process.stdout.readline()).decode()
                assert line, f"weshop demo --wechat exited: {''.join(printed)}"
                printed.append(line)
            async with httpx.AsyncClient() as http:
                while True:
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert process.returncode is None, "weshop demo --wechat exited"
                    await asyncio.sleep(0.2)
        yield "".join(printed)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


@dataclass(frozen=True)
class RunningDemo:
    banner: str
    shop: str
    wxsim: str


@pytest.fixture(scope="module")
async def running_demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningDemo]:
    port = free_ports()
    async with demo_running(tmp_path_factory.mktemp("wechat-demo"), port) as banner:
        yield RunningDemo(
            banner, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + PORT_OFFSET}"
        )


@pytest.fixture(autouse=True)
def clean_state() -> None:
    """Overrides the suite's database cleaning: the demo has a database of its own."""


async def signed_in_from_the_miniprogram(
    http: httpx.AsyncClient, demo: RunningDemo, user: str
) -> dict:
    """What ``POST /api/v1/auth/wechat/miniprogram`` answers for the code ``wx.login`` gives
    wxsim's test user ``user`` in the platform's mini-program."""
    who = {"appid": PLATFORM_MINIPROGRAM_APPID, "user": user}
    login = expect(await http.post(f"{demo.wxsim}/wxsim/miniprogram/login", json=who), 200)
    return expect(
        await http.post(
            f"{demo.shop}/api/v1/auth/wechat/miniprogram",
            json={"code": login["code"], "appid": PLATFORM_MINIPROGRAM_APPID},
        ),
        201,
    )


async def test_the_banner_says_where_wechat_is_and_pages_in_wechat_sign_in_there(
    running_demo: RunningDemo,
) -> None:
    demo = running_demo
    assert f"{demo.wxsim}/wxsim/inbox" in demo.banner
    assert f"{demo.wxsim}/wxsim/shares" in demo.banner
    assert "MicroMessenger" in demo.banner
    assert f"{demo.shop}/me/phone" in demo.banner
    for user in DEMO_USERS[:2]:
        assert user.phone in demo.banner and user.key in demo.banner

    async with httpx.AsyncClient(timeout=30) as http:
        opened = await http.get(f"{demo.shop}/", headers={"User-Agent": WECHAT_USER_AGENT})
        assert opened.status_code == 302
        location = opened.headers["location"]
        assert location.startswith(f"{demo.wxsim}/connect/oauth2/authorize?appid={PLATFORM_APPID}&")
        assert "选择微信用户" in (await http.get(location)).text
        # Outside WeChat the shop opens as ever.
        assert (await http.get(f"{demo.shop}/")).status_code == 200


async def test_a_wechat_user_signs_in_from_the_miniprogram_and_pays_through_paysim(
    running_demo: RunningDemo,
) -> None:
    """paysim takes the platform's mini-program (bound to the platform merchant by the demo)
    and the payer (asking wxsim whose openid it is)."""
    demo = running_demo
    async with httpx.AsyncClient(base_url=demo.shop, timeout=30) as http:
        signed_in = await signed_in_from_the_miniprogram(http, demo, "wangwei")
        assert signed_in["phone_bound"] is False
        me = {"Authorization": f"Bearer {signed_in['token']}"}
        address = expect(
            await http.post(
                "/api/v1/me/addresses",
                json={
                    "recipient": "王伟",
                    "phone": "13900139002",
                    "province": "浙江省",
                    "city": "杭州市",
                    "district": "西湖区",
                    "detail": "文三路 100 号",
                },
                headers=me,
            ),
            201,
        )
        product = expect(await http.get("/api/v1/shop/products"), 200)["items"][0]
        detail = expect(await http.get(f"/api/v1/shop/products/{product['id']}"), 200)
        sku = next(s for s in detail["skus"] if s["available"] > 0)
        placed = expect(
            await http.post(
                "/api/v1/me/orders",
                json={"address_id": address["id"], "items": [{"sku_id": sku["id"], "quantity": 1}]},
                headers=me,
            ),
            201,
        )
        order = placed["orders"][0]
        payment = expect(
            await http.post(
                f"/api/v1/me/orders/{order['id']}/payments?channel=miniprogram", headers=me
            ),
            201,
        )
        assert payment["pay_params"]["appId"] == PLATFORM_MINIPROGRAM_APPID
        assert payment["pay_params"]["package"].startswith("prepay_id=")


async def test_the_demo_shoppers_wechat_user_becomes_the_demo_shopper_by_phone(
    running_demo: RunningDemo,
) -> None:
    """By the code sent to the phone, as the storefront's 绑定手机号 page does."""
    demo = running_demo
    [xiaoyu] = [user for user in DEMO_USERS if user.phone == SHOPPER.phone]
    async with httpx.AsyncClient(base_url=demo.shop, timeout=10) as http:
        signed_in = await signed_in_from_the_miniprogram(http, demo, xiaoyu.key)
        me = {"Authorization": f"Bearer {signed_in['token']}"}
        assert expect(await http.get("/api/v1/me/orders", headers=me), 200)["items"] == []

        sent = expect(await http.post("/api/v1/auth/codes", json={"phone": xiaoyu.phone}), 202)
        bound = expect(
            await http.post(
                "/api/v1/me/phone",
                json={"phone": xiaoyu.phone, "code": sent["demo_code"]},
                headers=me,
            ),
            200,
        )
        assert bound["merged"] is True
        assert expect(await http.get("/api/v1/me/orders", headers=me), 200)["items"], (
            "the demo shopper's seeded orders"
        )


async def test_the_farm_owners_wechat_user_becomes_the_owner_by_the_miniprograms_phone(
    running_demo: RunningDemo,
) -> None:
    """By getPhoneNumber's code (getuserphonenumber at wxsim, with the mini-program's access
    token fetched while the request writes)."""
    demo = running_demo
    [linshan] = [user for user in DEMO_USERS if user.phone == FARM.staff_phones[Role.OWNER]]
    who = {"appid": PLATFORM_MINIPROGRAM_APPID, "user": linshan.key}
    async with httpx.AsyncClient(base_url=demo.shop, timeout=30) as http:
        signed_in = await signed_in_from_the_miniprogram(http, demo, linshan.key)
        me = {"Authorization": f"Bearer {signed_in['token']}"}
        phone = expect(await http.post(f"{demo.wxsim}/wxsim/miniprogram/phone-code", json=who), 200)
        bound = expect(
            await http.post(
                "/api/v1/me/wechat/phone",
                json={"code": phone["code"], "appid": PLATFORM_MINIPROGRAM_APPID},
                headers=me,
            ),
            200,
        )
        assert bound["merged"] is True
        # The WeChat user is now the farm's owner (who may follow the official account).
        mine = expect(await http.get("/api/v1/merchant/stores", headers=me), 200)
        assert [(m["store"]["name"], m["role"]) for m in mine] == [(FARM.name, "owner")]
