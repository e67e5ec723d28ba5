"""What ``weshop paysim`` tells its user: where the keys are and how to point WeShop at it."""

from __future__ import annotations

from pathlib import Path

from weshop.paysim.identity import (
    APIV3_KEY_FILE,
    DIRECT_APPID,
    DIRECT_MCHID,
    MERCHANT_KEY_FILE,
    PLATFORM_APPID,
    PLATFORM_MCHID,
    PLATFORM_PUBLIC_KEY_FILE,
    READY_SUB_MCHID,
    StateFiles,
)
from weshop.paysim.simulator import PaySim


def banner(sim: PaySim, files: StateFiles, state_file: str, *, created: bool) -> str:
    merchant = sim.merchant(DIRECT_MCHID)
    serial = merchant["serial_no"] if merchant is not None else "?"
    absolute = files.directory.resolve()
    made = "made just now" if created else "found"
    lines = [
        "",
        "WeShop paysim: a local simulator of WeChat Pay APIv3",
        f"  Listening at      {sim.base_url}  (cashier pages under /cashier, orders at /)",
        f"  State             {Path(state_file).resolve()}",
        f"  Keys              {made} in {absolute}",
        f"    platform key    {files.platform_key.resolve()}  (the simulator's own, secret)",
        f"    merchant key    {absolute / MERCHANT_KEY_FILE}  (WeShop's, secret)",
        f"    merchant cert   {files.merchant_cert.resolve()}",
        "",
        "Point WeShop at it (direct merchant):",
        "  WESHOP_WECHATPAY_MODE=direct",
        f"  WESHOP_WECHATPAY_MCHID={DIRECT_MCHID}",
        f"  WESHOP_WECHATPAY_APPID={DIRECT_APPID}",
        f"  WESHOP_WECHATPAY_PRIVATE_KEY_PATH={absolute / MERCHANT_KEY_FILE}",
        f"  WESHOP_WECHATPAY_CERT_SERIAL={serial}",
        f"  WESHOP_WECHATPAY_APIV3_KEY_PATH={absolute / APIV3_KEY_FILE}",
        f"  WESHOP_WECHATPAY_PLATFORM_PUBLIC_KEY_PATH={absolute / PLATFORM_PUBLIC_KEY_FILE}",
        f"  WESHOP_WECHATPAY_PLATFORM_SERIAL={sim.platform.serial}",
        f"  WESHOP_WECHATPAY_API_BASE_URL={sim.base_url}",
        "",
        "Or as a platform paying each store's sub-merchant (profit sharing):",
        "  WESHOP_WECHATPAY_MODE=partner",
        "  WESHOP_WECHATPAY_MERCHANT_NAME=<the platform's full name, any text here>",
        f"  WESHOP_WECHATPAY_MCHID={PLATFORM_MCHID}",
        f"  WESHOP_WECHATPAY_APPID={PLATFORM_APPID}",
        f"  (same key settings; a ready sub-merchant is {READY_SUB_MCHID}, more come from",
        "   POST /v3/ecommerce/applyments/)",
        "",
        *_in_app_lines(sim),
    ]
    return "\n".join(lines)


def _in_app_lines(sim: PaySim) -> list[str]:
    """Paying inside WeChat: the apps bound to merchants, and who may pay under them."""
    bound = sim.store.all("SELECT mchid, appid FROM appids ORDER BY mchid, appid")
    lines = ["Apps bound besides each merchant's own appid (--bind-appid MCHID=APPID):"]
    lines += [f"  {row['mchid']}  {row['appid']}" for row in bound] or ["  none"]
    if sim.payers is None:
        lines.append("JSAPI payers: any openid (no --wxsim-url)")
    else:
        where = getattr(sim.payers, "base_url", "the payer directory given")
        lines.append(f"JSAPI payers: an openid must be of the order's app, as {where} says")
    return [*lines, ""]
