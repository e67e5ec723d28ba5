"""What the WeChat domain answers the domains below it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.events import Subscribers
from weshop.payments.events import PayerOpenid
from weshop.wechat import service

subscribers = Subscribers()


@subscribers.answers(PayerOpenid)
async def payer_openid(db: AsyncSession, question: PayerOpenid) -> str | None:
    return await service.openid_of(db, question.user_id, question.appid)
