"""Shoppers' one-time subscriptions (一次性订阅消息): the templates to ask for, and what
WeChat reported when the shopper was asked.

A mini-program asks with ``wx.requestSubscribeMessage``; a page of the official account with
the ``<wx-open-subscribe>`` open tag. Either reports ``{template_id: accept|reject|ban|
filter}``; every ``accept`` allows one message of that template to that shopper, which the
message's sending takes (``messages_repository.take_consent``). Templates are the platform
apps' (``wechat_subscribe_templates``, keyed ``<kind>.<event>``); a kind whose app is not
configured has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.config import Settings
from weshop.core.errors import InvalidInput, NotFound
from weshop.wechat import messages_repository as repo
from weshop.wechat.apps import WechatApp, wechat_apps
from weshop.wechat.models import SubscribeResult

AppKind = Literal["official", "miniprogram"]
# Tried in this order when a message is sent: the mini-program first (what a mall's shoppers
# use most), then the official account.
APP_KINDS: tuple[AppKind, ...] = ("miniprogram", "official")
SUBSCRIPTION_EVENTS = (
    "order_paid",
    "order_shipped",
    "order_delivered",
    "refund_succeeded",
    "group_completed",
    "group_failed",
    "bargain_floor_reached",
)


def platform_app(settings: Settings, kind: AppKind) -> WechatApp | None:
    apps = wechat_apps(settings)
    return apps.official if kind == "official" else apps.miniprogram


def subscribe_templates(settings: Settings, kind: AppKind) -> dict[str, str]:
    """The configured template of each event for this kind of app: ``{event: template_id}``
    (none when the platform has no app of this kind)."""
    if platform_app(settings, kind) is None:
        return {}
    found = {}
    for event in SUBSCRIPTION_EVENTS:
        template_id = settings.wechat_subscribe_templates.get(f"{kind}.{event}")
        if template_id:
            found[event] = template_id
    return found


def has_template(settings: Settings, event: str) -> bool:
    return any(event in subscribe_templates(settings, kind) for kind in APP_KINDS)


@dataclass(frozen=True)
class Standing:
    """How many messages of one event's template the shopper still allows, in one app."""

    kind: AppKind
    event: str
    template_id: str
    remaining: int
    last_result: SubscribeResult | None


async def record(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    kind: AppKind,
    results: dict[str, SubscribeResult],
    now: datetime,
) -> list[Standing]:
    """Record what WeChat reported for each template asked about; the shopper's standing in
    that app after it. 404 ``wechat_not_configured`` without an app of that kind; 422
    ``unknown_template`` for a template WeShop does not ask for (nothing is recorded)."""
    app = platform_app(settings, kind)
    if app is None:
        raise NotFound(
            "this installation has no WeChat app of that kind", code="wechat_not_configured"
        )
    asked_for = set(subscribe_templates(settings, kind).values())
    unknown = sorted(template_id for template_id in results if template_id not in asked_for)
    if unknown:
        raise InvalidInput(
            "these templates are not ones WeShop asks for",
            code="unknown_template",
            details={"template_ids": unknown},
        )
    for template_id in sorted(results):
        await repo.record_result(
            session, user_id, app.appid, template_id, results[template_id], now
        )
    return await standing(session, settings, user_id, kind)


async def standing(
    session: AsyncSession, settings: Settings, user_id: int, kind: AppKind | None = None
) -> list[Standing]:
    """The shopper's standing per event and app kind (every configured template)."""
    found: list[Standing] = []
    for app_kind in APP_KINDS if kind is None else (kind,):
        templates = subscribe_templates(settings, app_kind)
        app = platform_app(settings, app_kind)
        if not templates or app is None:
            continue
        consents = await repo.consents_of(session, user_id, app.appid, list(templates.values()))
        for event, template_id in templates.items():
            row = consents.get(template_id)
            found.append(
                Standing(
                    kind=app_kind,
                    event=event,
                    template_id=template_id,
                    remaining=row.remaining if row else 0,
                    last_result=row.last_result if row else None,
                )
            )
    return found
