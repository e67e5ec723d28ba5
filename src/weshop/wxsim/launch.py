"""What ``weshop wxsim`` tells its user: its apps, its test users and how to point WeShop at it."""

from __future__ import annotations

import json

from weshop.wxsim.simulator import JSSDK_SCRIPT_PATH, WxSim


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def banner(sim: WxSim) -> str:
    base = sim.public_url
    official = [app for app in sim.apps.values() if app.kind == "official"]
    bound = [app for app in sim.apps.values() if app.kind == "miniprogram" and app.open_platform]
    unbound = [
        app for app in sim.apps.values() if app.kind == "miniprogram" and not app.open_platform
    ]
    lines = [
        "",
        "WeShop wxsim: a local simulator of the WeChat platform APIs",
        f"  Listening at      {base}  (WeChat's paths; its own pages at {base}/wxsim)",
        f"  Access tokens     live {sim.credentials.ttl.total_seconds():g} s",
        f"  JSAPI payments    go to paysim's cashier at {sim.paysim_url}",
        "",
        "Apps:",
    ]
    for app in sim.apps.values():
        platform = f"open platform {app.open_platform}" if app.open_platform else "no open platform"
        lines.append(f"  {app.appid}  {app.kind:<11}  {platform}  {app.name}")
    lines += ["", "Test users (pick one on the authorise page; inbox at /wxsim/inbox):"]
    for user in sim.users.values():
        follows = "follows the official account" if user.follows_official else "does not follow"
        lines.append(f"  {user.key:<10} {user.nickname}  {user.phone}  {follows}")
    lines += [
        "",
        "Point WeShop at it:",
        f"  WESHOP_WECHAT_API_BASE_URL={base}",
        f"  WESHOP_WECHAT_OPEN_BASE_URL={base}",
        f"  WESHOP_WECHAT_JSSDK_SCRIPT_URL={base}{JSSDK_SCRIPT_PATH}",
    ]
    if official:
        lines += [
            f"  WESHOP_WECHAT_OFFICIAL_APPID={official[0].appid}",
            f"  WESHOP_WECHAT_OFFICIAL_SECRET={official[0].secret}",
        ]
    if bound:
        lines += [
            f"  WESHOP_WECHAT_MINIPROGRAM_APPID={bound[0].appid}",
            f"  WESHOP_WECHAT_MINIPROGRAM_SECRET={bound[0].secret}",
        ]
    if unbound:
        store_apps = [
            {"store_id": 1, "kind": app.kind, "appid": app.appid, "secret": app.secret}
            for app in unbound
        ]
        lines.append(f"  WESHOP_WECHAT_STORE_APPS='{_compact(store_apps)}'  (store 1: yours)")
    lines.append("")
    return "\n".join(lines)
