"""The merchant's side of WeChat messages: the store's message log (recipients masked) and
each staff member's own choice of staff messages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.config import Settings
from weshop.core.crypto import mask_name, mask_phone
from weshop.core.pagination import Page, page_of, paginate
from weshop.core.tenancy import StoreScope
from weshop.wechat import messages_repository as repo
from weshop.wechat.messages import STAFF_EVENTS, staff_template
from weshop.wechat.models import WechatMessage
from weshop.wechat.schemas import MessageOut, StaffPreferenceIn, StaffPreferenceOut


def mask_openid(openid: str) -> str:
    """``oAbCdEfGhIjKlMnOpQrStUvWxYz`` -> ``oAbC****WxYz``."""
    if len(openid) <= 8:
        return "*" * len(openid)
    return f"{openid[:4]}****{openid[-4:]}"


def masked_recipient(user: User | None) -> str:
    if user is None:
        return "***"
    if user.display_name:
        return mask_name(user.display_name)
    return mask_phone(user.phone) if user.phone else "***"


async def store_messages(
    session: AsyncSession, scope: StoreScope, cursor: str | None, limit: int
) -> Page[MessageOut]:
    """The store's messages, newest first."""
    rows = list(
        await session.scalars(
            paginate(repo.store_messages(scope.store_id), WechatMessage, cursor, limit)
        )
    )
    user_ids = {row.user_id for row in rows}
    users = (
        {user.id: user for user in await session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )

    def out(row: WechatMessage) -> MessageOut:
        return MessageOut(
            id=row.id,
            channel=row.channel,
            event=row.event,
            recipient=masked_recipient(users.get(row.user_id)),
            openid=mask_openid(row.openid),
            appid=row.appid,
            template_id=row.template_id,
            status=row.status,
            errcode=row.errcode,
            errmsg=row.errmsg,
            attempts=row.attempts,
            created_at=row.created_at,
        )

    return page_of(rows, limit, out)


async def my_preferences(
    session: AsyncSession, settings: Settings, scope: StoreScope
) -> list[StaffPreferenceOut]:
    """The staff member's own choice of each staff message (on unless turned off)."""
    chosen = await repo.preferences(session, scope.store_id, scope.actor_id)
    return [
        StaffPreferenceOut(
            event=event,
            enabled=chosen.get(event, True),
            configured=staff_template(settings, event) is not None,
        )
        for event in STAFF_EVENTS
    ]


async def set_my_preference(
    session: AsyncSession, settings: Settings, scope: StoreScope, body: StaffPreferenceIn
) -> list[StaffPreferenceOut]:
    await repo.set_preference(session, scope.store_id, scope.actor_id, body.event, body.enabled)
    await session.flush()
    return await my_preferences(session, settings, scope)
