from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import Address, AuthSession, LoginCode, User
from weshop.core.crypto import cipher


def phone_index(phone: str) -> str:
    return cipher().blind_index(phone, kind="phone")


async def user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return await session.scalar(select(User).where(User.phone_index == phone_index(phone)))


async def user_by_token_hash(session: AsyncSession, token_hash: str, now: datetime) -> User | None:
    return await session.scalar(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            User.is_active.is_(True),
        )
    )


async def session_holder(session: AsyncSession, token_hash: str) -> tuple[int, datetime] | None:
    """The user id and expiry of a live (not revoked) session of an active user; what does not
    change by itself, so it may be kept (the expiry is compared by the caller)."""
    row = (
        await session.execute(
            select(AuthSession.user_id, AuthSession.expires_at)
            .join(User, User.id == AuthSession.user_id)
            .where(
                AuthSession.token_hash == token_hash,
                AuthSession.revoked_at.is_(None),
                User.is_active.is_(True),
            )
        )
    ).first()
    return None if row is None else (row.user_id, row.expires_at)


async def live_login_codes(session: AsyncSession, index: str, now: datetime) -> list[LoginCode]:
    """The phone's codes that are neither used nor expired, newest first."""
    found = await session.scalars(
        select(LoginCode)
        .where(
            LoginCode.phone_index == index,
            LoginCode.used_at.is_(None),
            LoginCode.expires_at > now,
        )
        .order_by(LoginCode.id.desc())
    )
    return list(found)


async def last_code_sent_at(session: AsyncSession, index: str) -> datetime | None:
    return await session.scalar(
        select(LoginCode.created_at)
        .where(LoginCode.phone_index == index)
        .order_by(LoginCode.id.desc())
        .limit(1)
    )


async def consume_login_code(session: AsyncSession, code_id: int, now: datetime) -> bool:
    """Compare-and-set: a code works once, even for two concurrent sign-ins."""
    result = await session.execute(
        update(LoginCode)
        .where(LoginCode.id == code_id, LoginCode.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


async def retire_login_codes(session: AsyncSession, index: str, now: datetime) -> None:
    """After a sign-in the phone's other codes are worth nothing."""
    await session.execute(
        update(LoginCode)
        .where(LoginCode.phone_index == index, LoginCode.used_at.is_(None))
        .values(used_at=now)
    )


async def revoke_session(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def addresses_of(session: AsyncSession, user_id: int) -> list[Address]:
    rows = await session.scalars(
        select(Address)
        .where(Address.user_id == user_id, Address.is_deleted.is_(False))
        .order_by(Address.is_default.desc(), Address.id.desc())
    )
    return list(rows)


async def address_of(session: AsyncSession, user_id: int, address_id: int) -> Address | None:
    return await session.scalar(
        select(Address).where(
            Address.id == address_id,
            Address.user_id == user_id,
            Address.is_deleted.is_(False),
        )
    )


async def clear_default_address(session: AsyncSession, user_id: int) -> None:
    await session.execute(
        update(Address).where(Address.user_id == user_id).values(is_default=False)
    )
