"""The merchant console's 微信消息 page: the store's message log (recipients masked, what
WeChat answered) and the signed-in staff member's own choice of staff messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from weshop.core.errors import InvalidInput
from weshop.core.http import DbSession, RuntimeDep
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values
from weshop.wechat import message_log
from weshop.wechat.messages import STAFF_EVENTS
from weshop.wechat.schemas import StaffPreferenceIn

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Staff = console_staff(Permission.ORDERS_READ)
PAGE_SIZE = 30
EVENT_NAMES = {
    "order_paid": N_("Order paid"),
    "order_shipped": N_("Order shipped"),
    "order_delivered": N_("Order delivered"),
    "refund_succeeded": N_("Refund done"),
    "group_completed": N_("Group completed"),
    "group_failed": N_("Group failed"),
    "bargain_floor_reached": N_("Bargain reached its floor"),
    "new_order": N_("New order"),
    "aftersales_requested": N_("After-sales request"),
    "low_stock": N_("Low stock"),
}
STATUS_NAMES = {
    "sent": N_("Sent"),
    "no_consent": N_("Not subscribed"),
    "refused": N_("Refused by WeChat"),
    "failed": N_("Failed"),
}
DONE_NOTICES = {"preferences": N_("Your message settings are saved.")}


@router.get("/wechat-messages")
async def messages_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Staff,
) -> Response:
    """The store's WeChat messages, newest first, and the staff member's own settings."""
    page = await message_log.store_messages(session, access.scope, cursor, PAGE_SIZE)
    preferences = await message_log.my_preferences(session, runtime.settings, access.scope)
    return console_page(
        request,
        "wechat/console/messages.html",
        access,
        "wechat_messages",
        {
            "page": page,
            "preferences": preferences,
            "event_names": EVENT_NAMES,
            "status_names": STATUS_NAMES,
            "notices": DONE_NOTICES,
        },
    )


@router.post("/wechat-messages/preferences")
async def save_preferences(
    request: Request, session: DbSession, runtime: RuntimeDep, access: ConsoleAccess = Staff
) -> Response:
    """Save which staff messages the signed-in staff member receives (a ticked box: on)."""
    form = await posted_values(request)
    chosen = form.get("enabled", [])
    chosen = {chosen} if isinstance(chosen, str) else set(chosen)
    if not chosen <= set(STAFF_EVENTS):
        raise InvalidInput("choose among the listed messages", code="unknown_event")
    for event in STAFF_EVENTS:
        body = StaffPreferenceIn(event=event, enabled=event in chosen)  # type: ignore[arg-type]
        await message_log.set_my_preference(session, runtime.settings, access.scope, body)
    return done_redirect(access, "/wechat-messages", "preferences")
