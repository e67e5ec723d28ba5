"""``weshop demo --wechatpay``: the whole flow on WeChat Pay's protocol, offline.

paysim (the simulator of WeChat Pay APIv3) runs beside WeShop in the same process on its own
port; WeShop is pointed at it as a platform in partner mode, every store is given a
sub-merchant of its own, and the platform is given a deposit to fund the discounts it pays
for. Payments then go through signed requests, the simulator's cashier, encrypted and
signed callbacks, profit sharing at settlement and refunds — as in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import select

from weshop.core.clients import SERVER_OPTIONS
from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.payments import sub_merchants as payment_accounts
from weshop.paysim import funds
from weshop.paysim.app import create_app as create_paysim_app
from weshop.paysim.app import open_simulator
from weshop.paysim.identity import (
    APIV3_KEY_FILE,
    MERCHANT_KEY_FILE,
    PLATFORM_APPID,
    PLATFORM_MCHID,
    PLATFORM_PUBLIC_KEY_FILE,
    StateFiles,
)
from weshop.paysim.simulator import PaySim
from weshop.stores.models import Store

PLATFORM_DEPOSIT_FEN = 100_000_000  # one million yuan for platform-funded discounts


@dataclass
class OfflineWechatPay:
    sim: PaySim
    port: int

    @property
    def url(self) -> str:
        return self.sim.base_url


def open_offline_wechatpay(data_dir: Path, host: str, port: int) -> OfflineWechatPay:
    """The simulator with its state under ``<data_dir>/paysim`` (kept across runs)."""
    directory = data_dir / "paysim"
    files = StateFiles.in_directory(directory)
    sim, _ = open_simulator(files, directory / "paysim.db", base_url=f"http://{host}:{port}")
    if funds.balance(sim.store, f"mch:{PLATFORM_MCHID}") == (0, 0):
        sim.deposit(PLATFORM_MCHID, PLATFORM_DEPOSIT_FEN)
    return OfflineWechatPay(sim, port)


def wechatpay_settings(wechat: OfflineWechatPay, data_dir: Path) -> dict[str, Any]:
    """Settings that point WeShop at the simulator as a platform (partner mode)."""
    directory = (data_dir / "paysim").resolve()
    merchant = wechat.sim.merchant(PLATFORM_MCHID)
    assert merchant is not None
    return {
        "default_payment_provider": "wechatpay",
        "wechatpay_mode": "partner",
        "wechatpay_mchid": PLATFORM_MCHID,
        "wechatpay_appid": PLATFORM_APPID,
        "wechatpay_private_key_path": directory / MERCHANT_KEY_FILE,
        "wechatpay_cert_serial": merchant["serial_no"],
        "wechatpay_apiv3_key_path": directory / APIV3_KEY_FILE,
        "wechatpay_platform_public_key_path": directory / PLATFORM_PUBLIC_KEY_FILE,
        "wechatpay_platform_serial": wechat.sim.platform.serial,
        "wechatpay_api_base_url": wechat.url,
        "wechatpay_merchant_name": "WeShop 演示平台",
    }


async def give_stores_sub_merchants(settings: Settings, sim: PaySim) -> int:
    """Every store without a WeChat Pay sub-merchant gets one, ready to be paid (as if its
    application had been approved); returns how many were given."""
    db = Database(settings.database_url)
    given = 0
    try:
        async with db.transaction() as session:
            for store in await session.scalars(select(Store).order_by(Store.id)):
                account = await payment_accounts.account_of(session, store.id, "wechatpay")
                if account is None or not account.sub_mchid:
                    sub_mchid = sim.open_sub_merchant(store.name)
                    await payment_accounts.record_sub_mchid(
                        session, store.id, "wechatpay", sub_mchid
                    )
                    given += 1
    finally:
        await db.dispose()
    return given


async def serve_with_simulator(
    weshop_app: Any,
    wechat: OfflineWechatPay,
    *,
    host: str,
    port: int,
    log_level: str,
    beside: Sequence[tuple[Any, int]] = (),
) -> None:
    """Serve WeShop and the simulator together, and any other ``(app, port)`` ``beside``
    them (wxsim, with ``--wechat``); when one stops, so do the others."""
    served = [(weshop_app, port), (create_paysim_app(wechat.sim, background=True), wechat.port)]
    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host=host, port=on, log_level=log_level, **SERVER_OPTIONS)
        )
        for app, on in [*served, *beside]
    ]
    running = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*running, return_exceptions=True)
