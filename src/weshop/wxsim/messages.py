"""Messages to test users: one-time subscription consent, ``subscribeMessage.send`` (mini-
programs), ``subscribe/bizsend`` (official account), template messages to followers
(``template/send``), and each user's inbox.

Each acceptance of a subscription template (``wx.requestSubscribeMessage`` or the
``<wx-open-subscribe>`` tag) allows one message of it, as WeChat's one-time subscriptions do.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from weshop.wxsim.apps import Directory, WxApp
from weshop.wxsim.errors import WxError, ok
from weshop.wxsim.templates import Channel, Template, catalogue, filled

FIRST_MSGID = 2_000_000_000


@dataclass(frozen=True)
class Message:
    msgid: int
    user: str
    appid: str
    api: str  # subscribe/send, subscribe/bizsend or template/send
    template_id: str
    title: str
    fields: tuple[tuple[str, str], ...]
    link: str  # the page, URL or mini-program page the card opens
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "appid": self.appid,
            "api": self.api,
            "template_id": self.template_id,
            "title": self.title,
            "fields": [{"name": name, "value": value} for name, value in self.fields],
            "link": self.link,
            "at": self.at.isoformat(),
        }


class Messaging:
    def __init__(self, directory: Directory, now: Callable[[], datetime]) -> None:
        self.directory = directory
        self._now = now
        self.templates: dict[tuple[str, str], Template] = {
            (app.appid, template.template_id): template
            for app in directory.apps.values()
            for template in catalogue(app, directory.seed)
        }
        # Messages each (appid, openid, template_id) may still receive.
        self.allowances: Counter[tuple[str, str, str]] = Counter()
        self.delivered: list[Message] = []
        self._msgids = itertools.count(FIRST_MSGID)

    def of_app(self, appid: str, channel: Channel) -> list[Template]:
        return [
            template
            for (owner, _id), template in self.templates.items()
            if owner == appid and template.channel == channel
        ]

    def accept(self, appid: str, openid: str, template_ids: Iterable[str]) -> dict[str, str]:
        """The user accepts each template once more; WeChat's answer per template id.

        ValueError when the openid is not of the app or a template is not one of its
        subscription templates (WeChat refuses the request as a whole then)."""
        app = self.directory.app(appid)
        if not self.directory.knows(appid, openid):
            raise ValueError("the openid is not a user of this app")
        ids = list(dict.fromkeys(template_ids))
        if not ids:
            raise ValueError("no template ids")
        for template_id in ids:
            template = self.templates.get((app.appid, template_id))
            if template is None or template.channel != "subscribe":
                raise ValueError(f"{template_id!r} is not a subscription template of {appid}")
        for template_id in ids:
            self.allowances[(appid, openid, template_id)] += 1
        return {template_id: "accept" for template_id in ids}

    def _recipient(self, app: WxApp, body: dict[str, Any]) -> str:
        touser = str(body.get("touser", ""))
        user = self.directory.user_of(app.appid, touser)
        if user is None:
            raise WxError(40003)
        return user.key

    def _template(self, app: WxApp, body: dict[str, Any], channel: Channel) -> Template:
        template = self.templates.get((app.appid, str(body.get("template_id", ""))))
        if template is None or template.channel != channel:
            raise WxError(40037)
        return template

    def _deliver(
        self, app: WxApp, user: str, api: str, template: Template, fields, link: str
    ) -> int:
        message = Message(
            next(self._msgids),
            user,
            app.appid,
            api,
            template.template_id,
            template.title,
            tuple(fields),
            link,
            self._now(),
        )
        self.delivered.append(message)
        return message.msgid

    def subscribe_send(self, app: WxApp, body: dict[str, Any], *, api: str) -> dict[str, Any]:
        """``subscribe/send`` (mini-programs) and ``subscribe/bizsend`` (official accounts)."""
        if (api == "subscribe/send") != (app.kind == "miniprogram"):
            raise WxError(48001)
        user = self._recipient(app, body)
        template = self._template(app, body, "subscribe")
        page = str(body.get("page", "") or "")
        if api == "subscribe/send" and page and page.split("?")[0].lstrip("/") not in app.pages:
            raise WxError(41030)
        fields = filled(template, body.get("data"))
        key = (app.appid, self.directory.openid_of(app.appid, user), template.template_id)
        if self.allowances[key] <= 0:
            raise WxError(43101)
        self.allowances[key] -= 1
        link = page or _mini_program_link(body)
        return ok(msgid=self._deliver(app, user, api, template, fields, link))

    def template_send(self, app: WxApp, body: dict[str, Any]) -> dict[str, Any]:
        """``template/send``: an official account's template message, to followers only."""
        if app.kind != "official":
            raise WxError(48001)
        user = self._recipient(app, body)
        template = self._template(app, body, "staff")
        fields = filled(template, body.get("data"))
        if not self.directory.user(user).follows_official:
            raise WxError(43004)
        link = str(body.get("url", "") or "") or _mini_program_link(body)
        return ok(msgid=self._deliver(app, user, "template/send", template, fields, link))

    def inbox(self, user: str) -> list[Message]:
        """What the user received, newest first."""
        self.directory.user(user)
        return [message for message in reversed(self.delivered) if message.user == user]


def _mini_program_link(body: dict[str, Any]) -> str:
    target = body.get("miniprogram")
    if isinstance(target, dict):
        return f"{target.get('appid', '')}:{target.get('pagepath') or target.get('page', '')}"
    return ""
