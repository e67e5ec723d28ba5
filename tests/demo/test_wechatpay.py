"""``weshop demo --wechatpay`` as a user runs it: one command, then a shopper pays an order on
WeChat Pay's protocol, offline — signed requests to the simulator, its cashier, and its
encrypted, signed callback making the order paid."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from weshop import demo

SHOPPER = demo.SHOPPERS[-1].phone


def free_port_pair() -> int:
    """A port P such that P and P + 100 (the simulator's) are both free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 > 65535:
            continue
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port + 100))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


async def wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError("weshop demo --wechatpay exited")
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("weshop demo --wechatpay did not come up")


async def test_the_demo_pays_on_wechat_pays_protocol_offline(tmp_path: Path) -> None:
    port = free_port_pair()
    env = dict(
        os.environ,
        WESHOP_DATA_DIR=str(tmp_path),
        WESHOP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/demo.db",
        WESHOP_LOG_LEVEL="WARNING",
    )
    env.pop("WESHOP_REDIS_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "weshop.cli", "demo", "--wechatpay", "--port", str(port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(base, process)
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            code = (await http.post("/api/v1/auth/codes", json={"phone": SHOPPER})).json()
            session = await http.post(
                "/api/v1/auth/sessions", json={"phone": SHOPPER, "code": code["demo_code"]}
            )
            me = {"Authorization": f"Bearer {session.json()['token']}"}
            address = (await http.get("/api/v1/me/addresses", headers=me)).json()[0]
            product = (await http.get("/api/v1/shop/products")).json()["items"][0]
            detail = (await http.get(f"/api/v1/shop/products/{product['id']}")).json()
            sku = next(s for s in detail["skus"] if s["available"] > 0)
            placed = await http.post(
                "/api/v1/me/orders",
                json={"address_id": address["id"], "items": [{"sku_id": sku["id"], "quantity": 1}]},
                headers=me,
            )
            assert placed.status_code == 201, placed.text
            order = placed.json()["orders"][0]
            payment = await http.post(f"/api/v1/me/orders/{order['id']}/payments", headers=me)
            assert payment.status_code == 201, payment.text
            cashier_url = payment.json()["cashier_url"]
            assert cashier_url.startswith(f"http://127.0.0.1:{port + 100}/cashier/")

            prepay_id = parse_qs(urlsplit(cashier_url).query)["prepay_id"][0]
            page = await http.get(cashier_url)
            assert "确认支付" in page.text
            paid = await http.post(
                f"http://127.0.0.1:{port + 100}/cashier/confirm", data={"prepay_id": prepay_id}
            )
            assert paid.status_code == 200
            for _ in range(100):  # the simulator's callback comes within a second or two
                status = (await http.get(f"/api/v1/me/orders/{order['id']}", headers=me)).json()
                if status["status"] == "paid":
                    break
                await asyncio.sleep(0.2)
            assert status["status"] == "paid"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
