"""The demo data, seeded into a database of its own (a temporary SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.support import free_port, served
from weshop import cli, demo
from weshop.accounts.models import Address, User
from weshop.affiliates.models import LineAttribution
from weshop.aftersales.models import AftersalesRequest
from weshop.app import create_app
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.core.migrations import upgrade_async
from weshop.core.worker import Worker
from weshop.demo.carriers import PACE as DEMO_PACE
from weshop.logistics.carriers.base import ParcelState
from weshop.logistics.models import Parcel, ShippingTemplate
from weshop.media.models import MediaAsset
from weshop.members.models import MemberLevel
from weshop.orders.models import Order, OrderStatus
from weshop.paysim.identity import PLATFORM_APPID, PLATFORM_MCHID
from weshop.promotions.models import FullReductionRule, ShopperCoupon
from weshop.reviews.models import Review
from weshop.stores.models import Role, StaffMember, StaffStatus, Store
from weshop.wxsim.apps import PLATFORM_MINIPROGRAM_APPID

# The suite's secret: the personal-data cipher is process-global and other tests rely on it.
SECRET = "test-secret-not-for-production"


def demo_settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db",
        data_dir=tmp_path,
        secret_key=SECRET,
        sandbox_payments=True,  # as `weshop demo` sets it: the seeded orders are paid there
        # The seed asks for each shopper's code; the tests ask again within the minute.
        otp_per_phone_per_minute=10,
        otp_resend_seconds=0,
    )


async def census(settings: Settings) -> dict[str, Any]:
    """What the demo database holds, in numbers and facts."""
    db = Database(settings.database_url)
    try:
        async with db.session(write=False) as session:

            async def count(model: Any, *where: Any) -> int:
                return await session.scalar(select(func.count()).select_from(model).where(*where))

            roles: dict[int, set[Role]] = {}
            for store_id, role in await session.execute(
                select(StaffMember.store_id, StaffMember.role).where(
                    StaffMember.status == StaffStatus.ACTIVE
                )
            ):
                roles.setdefault(store_id, set()).add(role)
            skus_per_product = (
                await session.execute(select(Sku.product_id, func.count()).group_by(Sku.product_id))
            ).all()
            return {
                "stores": await count(Store),
                "published": await count(Product, Product.status == ProductStatus.PUBLISHED),
                "products": await count(Product),
                "skus": await count(Sku),
                "users": await count(User),
                "addresses": await count(Address),
                # Campaign orders (the demo's group buy...) are checked by their own tests.
                "attributed_lines": await count(
                    LineAttribution, LineAttribution.promoter_id.is_not(None)
                ),
                "order_states": sorted(
                    await session.scalars(select(Order.status).where(Order.campaign_kind.is_(None)))
                ),
                "roles": roles,
                "fewest_skus": min((n for _, n in skus_per_product), default=0),
                "prices": set(await session.scalars(select(Sku.price_fen))),
                "coupon_states": sorted(await session.scalars(select(ShopperCoupon.status))),
                "discounted_orders": await count(Order, Order.discount_fen > 0),
                "shipping_templates": await count(ShippingTemplate),
                "reductions": await count(FullReductionRule),
                "levels": await count(MemberLevel),
                "aftersales_states": sorted(
                    await session.scalars(select(AftersalesRequest.status))
                ),
                "reviews": await count(Review),
                "fewest_pictures": min(
                    map(len, await session.scalars(select(Product.image_ids))), default=0
                ),
                "skus_with_pictures": await count(Sku, Sku.image_id.is_not(None)),
                "pictures": await count(MediaAsset, MediaAsset.content_type == "image/jpeg"),
            }
    finally:
        await db.dispose()


async def test_seed_builds_the_demo_once_with_working_logins(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    await upgrade_async(settings.database_url)

    assert await demo.seed(settings) == demo.SeedResult.CREATED
    seeded = await census(settings)
    assert seeded["stores"] == 3  # two seeded by the platform, one opened by application
    assert seeded["published"] == seeded["products"] >= 28
    assert seeded["fewest_skus"] >= 2
    assert seeded["skus"] > 150  # clothing comes in colour × size matrices
    assert len(seeded["prices"]) > 20  # prices differ per SKU, not one price everywhere
    assert list(seeded["roles"].values()) == [set(Role), set(Role), {Role.OWNER}]
    assert seeded["addresses"] == len(demo.SHOPPERS)
    assert seeded["order_states"] == sorted(
        [
            OrderStatus.SHIPPED,
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.PAID,  # brought by the demo's promoter through a share link
            OrderStatus.PAID,  # the first sale of the store opened by application
            # A checkout across both stores, paid once (合单支付): one order per store.
            OrderStatus.PAID,
            OrderStatus.PAID,
            OrderStatus.CANCELLED,
            # The jeans, its only line, refunded before shipping: nothing was left to ship.
            OrderStatus.CANCELLED,
            *[OrderStatus.COMPLETED] * 4,  # reviewed: product pages and DSR are not empty
        ]
    )
    assert seeded["attributed_lines"] == 1
    # A return the farm has yet to answer, a fast refund of the jeans that never shipped.
    assert seeded["aftersales_states"] == ["refunding", "requested"]

    # Every store has its promotions, the shoppers coupons, and orders show discounts.
    assert (seeded["shipping_templates"], seeded["reductions"], seeded["levels"]) == (2, 2, 6)
    assert seeded["coupon_states"].count("used") >= 1
    assert seeded["coupon_states"].count("available") >= 2 * len(demo.SHOPPERS)
    assert seeded["discounted_orders"] >= 2
    assert seeded["reviews"] == 5
    # Drawn product shots: several per product, and each clothing colour's SKUs their own.
    assert seeded["fewest_pictures"] >= 3 and seeded["pictures"] >= 3 * seeded["products"]
    assert seeded["skus_with_pictures"] > 150

    assert await demo.seed(settings) == demo.SeedResult.PRESENT
    assert await census(settings) == seeded

    # Every login the demo prints works.
    app = create_app(settings.model_copy(update={"demo_mode": True}), check_schema=False)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for login in demo.logins():
                if login.password:
                    body = {"phone": login.phone, "password": login.password}
                else:
                    sent = await client.post("/api/v1/auth/codes", json={"phone": login.phone})
                    assert sent.status_code == 202, sent.text
                    body = {"phone": login.phone, "code": sent.json()["demo_code"]}
                answer = await client.post("/api/v1/auth/sessions", json=body)
                assert answer.status_code == 201, (login, answer.text)
                assert answer.json()["user"]["is_operator"] is (login.who == "platform operator")
    finally:
        await app.state.runtime.components["payments"].close()
        await app.state.runtime.close()


async def test_seed_refuses_a_database_that_has_other_stores(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path)
    await upgrade_async(settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            session.add(Store(name="别人的店"))
    finally:
        await db.dispose()
    assert await demo.seed(settings) == demo.SeedResult.OTHER_DATA
    assert (await census(settings))["products"] == 0


async def test_seed_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    with pytest.raises(demo.DemoError, match="weshop migrate"):
        await demo.seed(demo_settings(tmp_path))


async def test_the_demo_command_seeds_once_then_reuses_or_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = demo_settings(tmp_path)
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: served.append(options))
    env = {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(tmp_path),
        "WESHOP_SECRET_KEY": SECRET,
    }

    async def run_demo(*args: str) -> str:
        runner = CliRunner()
        result = await asyncio.to_thread(runner.invoke, cli.app, ["demo", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    first = await run_demo("--port", "8123")
    assert "created just now" in first
    assert "Store opening (山里人家), this run: application → approval +" in first
    assert "http://127.0.0.1:8123/docs" in first
    assert "http://127.0.0.1:8123/openapi.json" in first
    for page in ("/", "/console", "/platform"):
        assert f"http://127.0.0.1:8123{page}\n" in first
    for login in demo.logins():
        assert login.phone in first
        if login.password:
            assert login.password in first
    before = await census(settings)

    assert "already there" in await run_demo()
    assert await census(settings) == before

    (tmp_path / "media" / "leftover.jpg").write_bytes(b"x")
    assert "created just now" in await run_demo("--fresh")
    assert not (tmp_path / "media" / "leftover.jpg").exists()
    assert (await census(settings))["stores"] == 3
    assert [options["port"] for options in served] == [8123, 8000, 8000]


async def test_the_demos_parcels_move_through_the_carrier_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`weshop demo` serves carriersim beside the shop: the seeded shipped order's parcel is
    subscribed, pushed along and delivered over HTTP, as in production."""
    settings = demo_settings(tmp_path)
    apps: list[Any] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **_: apps.append(app))
    port = free_port()
    env = {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(tmp_path),
        "WESHOP_SECRET_KEY": SECRET,
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, cli.app, ["demo", "--port", str(port)], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/carriersim" in result.output
    [app] = apps
    runtime, sim = app.state.runtime, app.state.carriersim
    assert runtime.settings.kuaidi100_api_base_url == f"http://127.0.0.1:{port}/carriersim"
    try:
        async with served(app, port) as url, httpx.AsyncClient(base_url=url) as client:
            await Worker(runtime.db, runtime.handlers, runtime).run_once()
            # The shipped order's parcel, and those of the reviewed (completed) orders.
            assert ("shunfeng", "SF1400012345678") in sim.subscriptions
            sim.advance(4 * DEMO_PACE)
            assert await sim.push_due() == len(sim.subscriptions)
            async with runtime.db.session(write=False) as session:
                state = await session.scalar(
                    select(Parcel.state).where(Parcel.tracking_no == "SF1400012345678")
                )
                assert state == ParcelState.DELIVERED
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await runtime.components["parcel_tracker"].aclose()
        await runtime.close()


SUBSCRIPTION_EVENTS = {
    "order_paid",
    "order_shipped",
    "order_delivered",
    "refund_succeeded",
    "group_completed",
    "group_failed",
    "bargain_floor_reached",
}


async def test_the_wechat_demo_points_weshop_and_paysim_at_wxsim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`weshop demo --wechat` (implying --wechatpay) serves wxsim on PORT+200 beside WeShop and
    paysim, points WeShop at it as at WeChat and paysim's payer check at it; the demo's
    shopper and the farm's owner are among its WeChat users, with the same ids every run."""
    settings = demo_settings(tmp_path)
    served_with: list[dict[str, Any]] = []

    async def serve(weshop_app: Any, wechatpay: Any, **options: Any) -> None:
        served_with.append({"app": weshop_app, "paysim": wechatpay.sim, **options})
        await weshop_app.state.runtime.close()

    monkeypatch.setattr(cli, "serve_with_simulator", serve)
    env = {
        "WESHOP_DATABASE_URL": settings.database_url,
        "WESHOP_DATA_DIR": str(tmp_path),
        "WESHOP_SECRET_KEY": SECRET,
    }
    runner = CliRunner()
    for _ in range(2):
        result = await asyncio.to_thread(
            runner.invoke, cli.app, ["demo", "--wechat", "--port", "8123"], env=env
        )
        assert result.exit_code == 0, result.output
    assert "paysim at http://127.0.0.1:8223" in result.output
    assert "http://127.0.0.1:8323/wxsim/inbox" in result.output

    first, second = served_with
    [(wxsim_app, wxsim_port)] = second["beside"]
    assert (second["port"], wxsim_port) == (8123, 8323)
    sim = wxsim_app.state.wxsim
    wired = second["app"].state.runtime.settings
    assert wired.default_payment_provider == "wechatpay"
    assert wired.wechat_api_base_url == wired.wechat_open_base_url == "http://127.0.0.1:8323"
    assert wired.wechat_jssdk_script_url.startswith("http://127.0.0.1:8323/")
    assert wired.wechat_official_appid == PLATFORM_APPID
    assert wired.wechat_miniprogram_appid == PLATFORM_MINIPROGRAM_APPID
    assert wired.wechat_official_secret.get_secret_value() == sim.apps[PLATFORM_APPID].secret
    assert set(wired.wechat_subscribe_templates) == {
        f"{kind}.{event}" for kind in ("official", "miniprogram") for event in SUBSCRIPTION_EVENTS
    }
    assert set(wired.wechat_staff_templates) == {"new_order", "aftersales_requested", "low_stock"}

    # paysim asks this wxsim whose openid a payer's is, and takes the mini-program's orders.
    paysim = second["paysim"]
    assert paysim.payers == sim.knows
    assert paysim.store.one(
        "SELECT 1 FROM appids WHERE mchid = ? AND appid = ?",
        (PLATFORM_MCHID, PLATFORM_MINIPROGRAM_APPID),
    )
    shopper = next(user for user in sim.users.values() if user.phone == demo.SHOPPERS[0].phone)
    owner = demo.STORES[0].staff_phones[Role.OWNER]
    staff = next(user for user in sim.users.values() if user.phone == owner)
    assert staff.follows_official

    # The same WeChat ids in every run: a WeChat account made yesterday signs in again today.
    first_sim = first["beside"][0][0].state.wxsim
    assert first_sim.openid_of(PLATFORM_APPID, shopper.key) == sim.openid_of(
        PLATFORM_APPID, shopper.key
    )
    for run in served_with:
        run["paysim"].store.close()
