"""How to point WeShop at wxsim: the settings (for a demo or a test to apply) and what
``weshop wxsim`` prints (its apps, its test users and those settings as environment)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from weshop.core.config import WechatStoreApp
from weshop.wxsim.simulator import JSSDK_SCRIPT_PATH, WxSim


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def weshop_settings(sim: WxSim, *, store_id: int = 1) -> dict[str, Any]:
    """WeShop's ``wechat_*`` settings for the simulator, typed as ``Settings`` declares them
    (so ``settings.model_copy(update=...)`` takes them as they are): the first official
    account and bound mini-program as the platform's, each unbound app as ``store_id``'s own,
    and the template ids of every event."""
    official = next((app for app in sim.apps.values() if app.kind == "official"), None)
    miniprogram = next(
        (app for app in sim.apps.values() if app.kind == "miniprogram" and app.open_platform),
        None,
    )
    found: dict[str, Any] = {
        "wechat_api_base_url": sim.public_url,
        "wechat_open_base_url": sim.public_url,
        "wechat_jssdk_script_url": sim.public_url + JSSDK_SCRIPT_PATH,
        "wechat_store_apps": [
            WechatStoreApp(
                store_id=store_id, kind=app.kind, appid=app.appid, secret=SecretStr(app.secret)
            )
            for app in sim.apps.values()
            if not app.open_platform
        ],
        "wechat_subscribe_templates": {},
        "wechat_staff_templates": {},
    }
    for app in (official, miniprogram):
        if app is None:
            continue
        found[f"wechat_{app.kind}_appid"] = app.appid
        found[f"wechat_{app.kind}_secret"] = SecretStr(app.secret)
        for event, template_id in sim.subscribe_templates(app.appid).items():
            found["wechat_subscribe_templates"][f"{app.kind}.{event}"] = template_id
    if official is not None:
        found["wechat_staff_templates"] = sim.staff_templates(official.appid)
    return found


def environment(settings: dict[str, Any]) -> list[str]:
    """The settings as ``WESHOP_*`` environment lines (JSON for lists and maps)."""
    lines = []
    for name, value in settings.items():
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, list):
            apps = [
                {**app.model_dump(mode="json"), "secret": app.secret.get_secret_value()}
                for app in value
            ]
            text = "'" + _compact(apps) + "'"
        elif isinstance(value, dict):
            text = "'" + _compact(value) + "'"
        else:
            text = str(value)
        lines.append(f"WESHOP_{name.upper()}={text}")
    return lines


def banner(sim: WxSim) -> str:
    lines = [
        "",
        "WeShop wxsim: a local simulator of the WeChat platform APIs",
        f"  Listening at      {sim.public_url}  (WeChat's paths; its own pages at "
        f"{sim.public_url}/wxsim)",
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
    lines += ["", "Point WeShop at it (a store's own app is given to store 1: change its id):"]
    lines += [f"  {line}" for line in environment(weshop_settings(sim))]
    lines.append("")
    return "\n".join(lines)
