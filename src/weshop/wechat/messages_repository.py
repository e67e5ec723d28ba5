"""The queries of WeChat messages: consents (counted one-time subscriptions), the message
log, staff preferences, and the outbox rows that queue messages once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.outbox import emit
from weshop.stores.models import StaffMember, StaffStatus
from weshop.wechat.models import (
    StaffMessagePreference,
    SubscribeResult,
    SubscriptionConsent,
    WechatMessage,
)


async def queue_once(
    session: AsyncSession, topic: str, payload: dict[str, Any], *, store_id: int, dedupe_key: str
) -> bool:
    """Write the outbox row unless one with this key exists (queued or handled before, by
    this transaction or a concurrent one): False then. A savepoint keeps a lost race from
    spoiling the caller's transaction."""
    try:
        async with session.begin_nested():
            emit(session, topic, payload, store_id=store_id, dedupe_key=dedupe_key)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def consent(
    session: AsyncSession, user_id: int, appid: str, template_id: str
) -> SubscriptionConsent | None:
    return await session.scalar(
        select(SubscriptionConsent).where(
            SubscriptionConsent.user_id == user_id,
            SubscriptionConsent.appid == appid,
            SubscriptionConsent.template_id == template_id,
        )
    )


async def record_result(
    session: AsyncSession,
    user_id: int,
    appid: str,
    template_id: str,
    result: SubscribeResult,
    now: datetime,
) -> None:
    """Count one more allowed message on ``accept``; remember the answer either way. The
    row is made once (a savepoint absorbs a concurrent first report), then counted by an
    UPDATE, so concurrent reports never lose an accept."""
    if await consent(session, user_id, appid, template_id) is None:
        try:
            async with session.begin_nested():
                session.add(
                    SubscriptionConsent(
                        user_id=user_id,
                        appid=appid,
                        template_id=template_id,
                        remaining=0,
                        last_result=result,
                        updated_at=now,
                    )
                )
                await session.flush()
        except IntegrityError:
            pass  # another report made it first: counted below all the same
    added = 1 if result == SubscribeResult.ACCEPT else 0
    await session.execute(
        update(SubscriptionConsent)
        .where(
            SubscriptionConsent.user_id == user_id,
            SubscriptionConsent.appid == appid,
            SubscriptionConsent.template_id == template_id,
        )
        .values(
            remaining=SubscriptionConsent.remaining + added,
            last_result=result,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def take_consent(session: AsyncSession, user_id: int, appid: str, template_id: str) -> bool:
    """Use one allowed message: a conditional UPDATE, so two sends never share one accept
    (the second waits for the first's row lock, then finds none left)."""
    result = await session.execute(
        update(SubscriptionConsent)
        .where(
            SubscriptionConsent.user_id == user_id,
            SubscriptionConsent.appid == appid,
            SubscriptionConsent.template_id == template_id,
            SubscriptionConsent.remaining > 0,
        )
        .values(remaining=SubscriptionConsent.remaining - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def give_back_consent(
    session: AsyncSession, user_id: int, appid: str, template_id: str
) -> None:
    await session.execute(
        update(SubscriptionConsent)
        .where(
            SubscriptionConsent.user_id == user_id,
            SubscriptionConsent.appid == appid,
            SubscriptionConsent.template_id == template_id,
        )
        .values(remaining=SubscriptionConsent.remaining + 1)
        .execution_options(synchronize_session=False)
    )


async def consents_of(
    session: AsyncSession, user_id: int, appid: str, template_ids: list[str]
) -> dict[str, SubscriptionConsent]:
    rows = await session.scalars(
        select(SubscriptionConsent).where(
            SubscriptionConsent.user_id == user_id,
            SubscriptionConsent.appid == appid,
            SubscriptionConsent.template_id.in_(template_ids),
        )
    )
    return {row.template_id: row for row in rows}


def store_messages(store_id: int) -> Select[tuple[WechatMessage]]:
    return select(WechatMessage).where(WechatMessage.store_id == store_id)


async def active_staff(session: AsyncSession, store_id: int) -> list[int]:
    """The user ids of the store's active staff, in id order."""
    rows = await session.scalars(
        select(StaffMember.user_id)
        .where(StaffMember.store_id == store_id, StaffMember.status == StaffStatus.ACTIVE)
        .order_by(StaffMember.user_id)
    )
    return list(rows)


async def preferences(session: AsyncSession, store_id: int, user_id: int) -> dict[str, bool]:
    rows = await session.scalars(
        select(StaffMessagePreference).where(
            StaffMessagePreference.store_id == store_id,
            StaffMessagePreference.user_id == user_id,
        )
    )
    return {row.event: row.enabled for row in rows}


async def set_preference(
    session: AsyncSession, store_id: int, user_id: int, event: str, enabled: bool
) -> None:
    row = await session.scalar(
        select(StaffMessagePreference).where(
            StaffMessagePreference.store_id == store_id,
            StaffMessagePreference.user_id == user_id,
            StaffMessagePreference.event == event,
        )
    )
    if row is None:
        session.add(
            StaffMessagePreference(store_id=store_id, user_id=user_id, event=event, enabled=enabled)
        )
    else:
        row.enabled = enabled
