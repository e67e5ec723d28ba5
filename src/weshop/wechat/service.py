"""Who a WeChat user is at WeShop: the identity of an (appid, openid), the account behind it,
and the phone the shopper proves.

An account made by a WeChat sign-in is keyed by the person (unionid when WeChat gives one,
else the app's openid) in ``wechat_accounts``, whose unique key makes concurrent first
sign-ins of one person end with one account: each tries to insert in a savepoint, and the
losers read the winner's. The identity of the openid is made the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts import repository as accounts_repo
from weshop.accounts.models import User
from weshop.core.errors import Conflict, Unauthenticated
from weshop.wechat import repository as repo
from weshop.wechat.apps import WechatApp
from weshop.wechat.merging import merge_accounts
from weshop.wechat.models import WechatAccount, WechatIdentity


@dataclass(frozen=True)
class WechatProfile:
    """What WeChat told about a user signing in through one app."""

    openid: str
    unionid: str | None = None
    session_key: str | None = None
    nickname: str | None = None
    avatar_url: str | None = None


async def active_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("this account is disabled", code="account_disabled")
    return user


def _update(identity: WechatIdentity, profile: WechatProfile) -> None:
    if profile.unionid and identity.unionid != profile.unionid:
        identity.unionid = profile.unionid
        identity.unionid_index = repo.unionid_index(profile.unionid)
    if profile.session_key:
        identity.session_key = profile.session_key
    if profile.nickname:
        identity.nickname = profile.nickname
    if profile.avatar_url:
        identity.avatar_url = profile.avatar_url[:500]


async def _account_of(session: AsyncSession, app: WechatApp, profile: WechatProfile) -> int:
    """The account of the person signing in, made now when they have none."""
    if profile.unionid:
        # Another app of the same open platform may have brought this person already.
        found = await repo.user_id_by_unionid(session, profile.unionid)
        if found is not None:
            return found
    key = repo.person_key(app.appid, profile.openid, profile.unionid)
    found = await repo.user_id_by_person(session, key)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            user = User(phone=None, phone_index=None, display_name=profile.nickname or "")
            session.add(user)
            await session.flush()
            session.add(WechatAccount(person_key=key, user_id=user.id))
            await session.flush()
        return user.id
    except IntegrityError:
        # A concurrent first sign-in of the same person made it: theirs is the account.
        winner = await repo.user_id_by_person(session, key)
        if winner is None:
            raise
        return winner


async def sign_in(session: AsyncSession, app: WechatApp, profile: WechatProfile) -> User:
    """The account of the WeChat user ``profile`` of ``app``, linked or made as needed."""
    identity = await repo.identity_by_openid(session, app.appid, profile.openid)
    if identity is not None:
        learnt_unionid = profile.unionid and identity.unionid is None
        _update(identity, profile)
        if learnt_unionid:
            return await _join_by_unionid(session, identity, profile.unionid or "")
        return await active_user(session, identity.user_id)
    user_id = await _account_of(session, app, profile)
    identity = WechatIdentity(
        user_id=user_id,
        appid=app.appid,
        openid=profile.openid,
        openid_index=repo.openid_index(app.appid, profile.openid),
        unionid=profile.unionid,
        unionid_index=repo.unionid_index(profile.unionid) if profile.unionid else None,
        session_key=profile.session_key,
        nickname=profile.nickname,
        avatar_url=(profile.avatar_url or "")[:500],
    )
    try:
        async with session.begin_nested():
            session.add(identity)
            await session.flush()
    except IntegrityError:
        winner = await repo.identity_by_openid(session, app.appid, profile.openid)
        if winner is None:
            raise
        return await active_user(session, winner.user_id)
    user = await active_user(session, user_id)
    if profile.nickname and not user.display_name:
        user.display_name = profile.nickname
    return user


async def _join_by_unionid(session: AsyncSession, identity: WechatIdentity, unionid: str) -> User:
    """WeChat told the unionid of an openid it had not before (a snsapi_base sign-in made the
    account; now the shopper granted snsapi_userinfo). If another app already brought this
    person, under another account, the two accounts become one: the one with a phone, else the
    older one, takes the other over (:func:`merge_accounts`). Two accounts with a phone each
    stay apart: which phone is the person's is not WeChat's to say."""
    await session.flush()
    mine = await active_user(session, identity.user_id)
    theirs_id = await repo.user_id_by_unionid(session, unionid, besides=mine.id)
    if theirs_id is None:
        return mine
    theirs = await active_user(session, theirs_id)
    if mine.phone is not None and theirs.phone is not None:
        return mine
    keeper, other = sorted((mine, theirs), key=lambda user: (user.phone is None, user.id))
    await merge_accounts(session, source=other, target=keeper)
    return keeper


async def openid_of(session: AsyncSession, user_id: int, appid: str) -> str | None:
    identity = await repo.identity_of(session, user_id, appid)
    return identity.openid if identity is not None else None


async def bind_phone(session: AsyncSession, user: User, phone: str) -> User:
    """Give the WeChat account ``user`` the phone it proved. When another account already
    has that phone, the two become one: the phone's account, which keeps its id, takes this
    one's identities, sessions and data (:func:`merge_accounts`). Answers the account the
    shopper is now."""
    if user.phone is not None:
        if user.phone == phone:
            return user
        raise Conflict("this account already has another phone", code="phone_already_bound")
    holder = await accounts_repo.user_by_phone(session, phone)
    if holder is None:
        try:
            async with session.begin_nested():
                user.phone, user.phone_index = phone, accounts_repo.phone_index(phone)
                await session.flush()
            return user
        except IntegrityError:
            # Someone signed in with this phone meanwhile: merge into their account.
            holder = await accounts_repo.user_by_phone(session, phone)
            if holder is None:
                raise
    if holder.id == user.id:
        return user
    if not holder.is_active:
        raise Conflict("the account of this phone is disabled", code="account_disabled")
    await merge_accounts(session, source=user, target=holder)
    return holder
