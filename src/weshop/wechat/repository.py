"""Queries of WeChat identities. Openids and unionids are found by keyed blind indexes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.crypto import cipher
from weshop.wechat.models import WechatAccount, WechatIdentity


def openid_index(appid: str, openid: str) -> str:
    return cipher().blind_index(f"{appid}:{openid}", kind="wechat.openid")


def unionid_index(unionid: str) -> str:
    return cipher().blind_index(unionid, kind="wechat.unionid")


def person_key(appid: str, openid: str, unionid: str | None) -> str:
    """One WeChat person: by unionid when WeChat gives one, else by the app's openid."""
    if unionid:
        return cipher().blind_index(f"unionid:{unionid}", kind="wechat.person")
    return cipher().blind_index(f"openid:{appid}:{openid}", kind="wechat.person")


async def identity_by_openid(
    session: AsyncSession, appid: str, openid: str
) -> WechatIdentity | None:
    return await session.scalar(
        select(WechatIdentity).where(WechatIdentity.openid_index == openid_index(appid, openid))
    )


async def user_id_by_unionid(
    session: AsyncSession, unionid: str, *, besides: int | None = None
) -> int | None:
    """The account of the first identity with this unionid (other than ``besides``'s)."""
    query = select(WechatIdentity.user_id).where(
        WechatIdentity.unionid_index == unionid_index(unionid)
    )
    if besides is not None:
        query = query.where(WechatIdentity.user_id != besides)
    return await session.scalar(query.order_by(WechatIdentity.id).limit(1))


async def user_id_by_person(session: AsyncSession, key: str) -> int | None:
    return await session.scalar(
        select(WechatAccount.user_id).where(WechatAccount.person_key == key)
    )


async def identity_of(session: AsyncSession, user_id: int, appid: str) -> WechatIdentity | None:
    return await session.scalar(
        select(WechatIdentity)
        .where(WechatIdentity.user_id == user_id, WechatIdentity.appid == appid)
        .order_by(WechatIdentity.id.desc())
        .limit(1)
    )


async def identities_of(session: AsyncSession, user_id: int) -> list[WechatIdentity]:
    rows = await session.scalars(
        select(WechatIdentity).where(WechatIdentity.user_id == user_id).order_by(WechatIdentity.id)
    )
    return list(rows)
