"""WeChat messages over HTTP: the shopper's one-time subscriptions, the templates to ask
for, the store's message log and a staff member's own choice of staff messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from weshop.accounts.auth import CurrentUser
from weshop.core.clock import utcnow
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page
from weshop.core.tenancy import StoreScope
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.wechat import message_log, subscriptions
from weshop.wechat.schemas import (
    AppKindField,
    MessageOut,
    StaffPreferenceIn,
    StaffPreferenceOut,
    StandingOut,
    SubscribeTemplateOut,
    SubscribeTemplatesOut,
    SubscriptionsIn,
)

me = APIRouter(prefix="/api/v1/me/wechat", tags=["wechat"])
shop = APIRouter(prefix="/api/v1/wechat", tags=["wechat"])
merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}/wechat", tags=["merchant: wechat"])

KindQuery = Annotated[AppKindField, Query(description="The app: 'miniprogram' or 'official'.")]
OptionalKind = Annotated[
    AppKindField | None, Query(description="Only this app's templates; none: both.")
]
# Every role reads orders: the log is about them, and each staff member has preferences.
Staff = staff_with(Permission.ORDERS_READ)


def _standing(found: list[subscriptions.Standing]) -> list[StandingOut]:
    return [
        StandingOut(
            kind=row.kind,
            event=row.event,  # type: ignore[arg-type]
            template_id=row.template_id,
            remaining=row.remaining,
            last_result=row.last_result,
        )
        for row in found
    ]


@shop.get("/subscribe-templates", response_model=SubscribeTemplatesOut)
async def subscribe_templates(runtime: RuntimeDep, kind: KindQuery):
    """The template ids to ask a shopper for, by event, for the platform's app of this kind
    (none when it has no such app, or no template is configured)."""
    app = subscriptions.platform_app(runtime.settings, kind)
    templates = subscriptions.subscribe_templates(runtime.settings, kind)
    return SubscribeTemplatesOut(
        kind=kind,
        appid=app.appid if app else None,
        templates=[
            SubscribeTemplateOut(event=event, template_id=template_id)  # type: ignore[arg-type]
            for event, template_id in templates.items()
        ],
    )


@me.post("/subscriptions", response_model=list[StandingOut])
async def record_subscriptions(
    body: SubscriptionsIn, user: CurrentUser, session: DbSession, runtime: RuntimeDep
):
    """Record what WeChat reported when the shopper was asked (each accept allows one
    message of its template); answers the shopper's standing in that app. 404
    `wechat_not_configured` without an app of that kind; 422 `unknown_template` for a
    template that is not one of `GET /api/v1/wechat/subscribe-templates`."""
    found = await subscriptions.record(
        session, runtime.settings, user.id, body.kind, dict(body.results), utcnow()
    )
    return _standing(found)


@me.get("/subscriptions", response_model=list[StandingOut])
async def my_subscriptions(
    user: CurrentUser, session: DbSession, runtime: RuntimeDep, kind: OptionalKind = None
):
    """How many messages of each event the shopper still allows, per app."""
    return _standing(await subscriptions.standing(session, runtime.settings, user.id, kind))


@merchant.get("/messages", response_model=Page[MessageOut])
async def store_messages(
    session: DbSession,
    scope: StoreScope = Staff,
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """The WeChat messages of the store's shoppers and staff, newest first: the event, the
    recipient (masked), the template and what WeChat answered."""
    return await message_log.store_messages(session, scope, cursor, limit)


@merchant.get("/my-message-preferences", response_model=list[StaffPreferenceOut])
async def my_message_preferences(
    session: DbSession, runtime: RuntimeDep, scope: StoreScope = Staff
):
    """The signed-in staff member's own staff messages (new orders, after-sales requests,
    low stock): each on unless they turned it off."""
    return await message_log.my_preferences(session, runtime.settings, scope)


@merchant.put("/my-message-preferences", response_model=list[StaffPreferenceOut])
async def set_my_message_preference(
    body: StaffPreferenceIn, session: DbSession, runtime: RuntimeDep, scope: StoreScope = Staff
):
    """Turn one of the signed-in staff member's own staff messages off or on."""
    return await message_log.set_my_preference(session, runtime.settings, scope, body)
