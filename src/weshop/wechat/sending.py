"""Sending the queued messages (the outbox handlers' work), and the log of what WeChat said.

A shopper's message goes through the first platform app (mini-program, then official
account) where the event has a template, the shopper has an identity and a one-time
subscription is left: taking it is a conditional UPDATE in the handler's transaction, so two
messages never share one ``accept``, and a send that is retried (the transaction rolled back)
has taken nothing. WeChat's answer is logged (:class:`WechatMessage`):

- sent; 43101 (the shopper has no subscription at WeChat) and 43004 (a staff member does
  not follow the official account) are *refused*; 47003 (a value WeChat will not take) and
  any other error are *failed*. None of these is tried again; a 47003 gives the
  subscription back, as WeChat did not use it.
- WeChat busy or unreachable (-1: the client's network errors and 5xx): the handler raises
  and the outbox tries again with its backoff, up to :data:`MAX_SEND_ATTEMPTS` tries in
  all; the last one is logged as failed.
- An identity with no subscription left is logged as *no_consent* (nothing is sent). A
  recipient with no identity under the app, a staff member who turned the message off or
  left the store, and an event whose template was removed are not logged: nothing was
  addressed to anyone.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.events import ask
from weshop.core.runtime import Runtime
from weshop.payments.events import PayerOpenid
from weshop.wechat import keywords
from weshop.wechat import messages_repository as repo
from weshop.wechat.apps import WechatApp
from weshop.wechat.client import wechat_client
from weshop.wechat.errors import SYSTEM_BUSY, WechatApiError
from weshop.wechat.messages import staff_template
from weshop.wechat.models import MessageChannel, MessageStatus, WechatMessage
from weshop.wechat.subscriptions import APP_KINDS, platform_app, subscribe_templates

log = structlog.get_logger(__name__)

# Tries of one message while WeChat is busy or unreachable (the outbox's backoff: about ten
# minutes in all).
MAX_SEND_ATTEMPTS = 8
NO_SUBSCRIPTION = 43101
NOT_FOLLOWING = 43004
INVALID_DATA = 47003
REFUSED_CODES = frozenset({NO_SUBSCRIPTION, NOT_FOLLOWING})

SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/send"
SUBSCRIBE_BIZSEND = "/cgi-bin/message/subscribe/bizsend"
TEMPLATE_SEND = "/cgi-bin/message/template/send"


async def send_subscription(
    session: AsyncSession, runtime: Runtime, payload: dict[str, Any], attempt: int
) -> None:
    settings = runtime.settings
    event, user_id = payload["event"], payload["user_id"]
    without_consent: tuple[WechatApp, str, str] | None = None
    for kind in APP_KINDS:
        app = platform_app(settings, kind)
        template_id = subscribe_templates(settings, kind).get(event)
        if app is None or template_id is None:
            continue
        openid = await ask(session, PayerOpenid(user_id, app.appid))
        if openid is None:
            continue
        if not await repo.take_consent(session, user_id, app.appid, template_id):
            without_consent = without_consent or (app, openid, template_id)
            continue
        data = keywords.template_data(payload["values"])
        if kind == "miniprogram":
            path = SUBSCRIBE_SEND
            body = {"touser": openid, "template_id": template_id, "data": data, "lang": "zh_CN"}
            body["page"] = payload["page"]
        else:
            path = SUBSCRIBE_BIZSEND
            body = {"touser": openid, "template_id": template_id, "data": data}
            body["page"] = settings.public_base_url.rstrip("/") + payload["path"]
        sent = Sending(session, runtime, MessageChannel.SUBSCRIPTION, payload, attempt)
        status = await sent.post(app, openid, template_id, path, body)
        if status == MessageStatus.FAILED and sent.errcode == INVALID_DATA:
            await repo.give_back_consent(session, user_id, app.appid, template_id)
        return
    if without_consent is not None:
        app, openid, template_id = without_consent
        Sending(session, runtime, MessageChannel.SUBSCRIPTION, payload, attempt).record(
            app, openid, template_id, MessageStatus.NO_CONSENT
        )


async def send_staff_message(
    session: AsyncSession, runtime: Runtime, payload: dict[str, Any], attempt: int
) -> None:
    settings = runtime.settings
    event, user_id, store_id = payload["event"], payload["user_id"], payload["store_id"]
    template_id = staff_template(settings, event)
    app = platform_app(settings, "official")
    if template_id is None or app is None:
        return
    if (await repo.preferences(session, store_id, user_id)).get(event) is False:
        return
    if user_id not in await repo.active_staff(session, store_id):
        return
    openid = await ask(session, PayerOpenid(user_id, app.appid))
    if openid is None:
        return
    body = {
        "touser": openid,
        "template_id": template_id,
        "url": settings.public_base_url.rstrip("/") + payload["path"],
        "data": keywords.template_data(payload["values"]),
    }
    sending = Sending(session, runtime, MessageChannel.STAFF, payload, attempt)
    await sending.post(app, openid, template_id, TEMPLATE_SEND, body)


class Sending:
    """One message's call to WeChat and its log row."""

    def __init__(
        self,
        session: AsyncSession,
        runtime: Runtime,
        channel: MessageChannel,
        payload: dict[str, Any],
        attempt: int,
    ) -> None:
        self.session = session
        self.runtime = runtime
        self.channel = channel
        self.payload = payload
        self.attempt = attempt
        self.errcode: int | None = None

    async def post(
        self, app: WechatApp, openid: str, template_id: str, path: str, body: dict[str, Any]
    ) -> MessageStatus:
        try:
            await wechat_client(self.runtime).post_json(app, path, body)
        except WechatApiError as exc:
            if exc.errcode == SYSTEM_BUSY and self.attempt < MAX_SEND_ATTEMPTS:
                raise  # the outbox tries again later; this transaction took nothing
            self.errcode = exc.errcode
            status = MessageStatus.REFUSED if exc.errcode in REFUSED_CODES else MessageStatus.FAILED
            log.warning(
                "wechat.message_not_sent",
                message_event=self.payload["event"],
                errcode=exc.errcode,
                store_id=self.payload["store_id"],
            )
            self.record(app, openid, template_id, status, exc.errmsg)
            return status
        self.record(app, openid, template_id, MessageStatus.SENT)
        return MessageStatus.SENT

    def record(
        self,
        app: WechatApp,
        openid: str,
        template_id: str,
        status: MessageStatus,
        errmsg: str = "",
    ) -> None:
        self.session.add(
            WechatMessage(
                store_id=self.payload["store_id"],
                channel=self.channel,
                event=self.payload["event"],
                user_id=self.payload["user_id"],
                appid=app.appid,
                openid=openid,
                template_id=template_id,
                status=status,
                errcode=self.errcode,
                errmsg=errmsg[:200],
                attempts=self.attempt,
            )
        )
