"""Sign-in and the address book."""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts import repository as repo
from weshop.accounts.models import Address, AuthSession, LoginCode, User
from weshop.accounts.schemas import AddressIn, AddressPatch
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.crypto import mask_phone
from weshop.core.db import Database
from weshop.core.errors import (
    InvalidInput,
    NotFound,
    PasswordLocked,
    RateLimited,
    Unauthenticated,
)
from weshop.core.lockout import Backoff, Locked, Lockouts
from weshop.core.ratelimit import Limit, RateLimiter, enforce
from weshop.core.runtime import Runtime
from weshop.core.security import hash_password, new_token, token_digest, verify_password

log = structlog.get_logger(__name__)

MAX_ADDRESSES = 20


class CodeSender(Protocol):
    async def send(self, phone: str, code: str) -> None:
        """Deliver a sign-in code (SMS gateway, message service...)."""


class LogCodeSender:
    """The embedded default: the code goes to the log (the phone number is masked there)."""

    async def send(self, phone: str, code: str) -> None:
        log.info("auth.code_sent", phone=mask_phone(phone), code=code)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    user: User
    expires_in_seconds: int


def _code_hash(phone_index: str, code: str) -> str:
    return token_digest(f"{phone_index}:{code}")


async def request_login_code(
    session: AsyncSession,
    *,
    phone: str,
    client: str,
    settings: Settings,
    limiter: RateLimiter,
    sender: CodeSender,
) -> str:
    """Create and send a 6-digit code; limited per phone and per client address, and one
    code per ``otp_resend_seconds`` for a phone (the wait the sign-in page counts down). A new
    code does not void the earlier ones: each works until it expires, as SMS sign-ins do."""
    # Limits count phones by their blind index: a counter is no place for a phone number.
    index = repo.phone_index(phone)
    await enforce(
        limiter, Limit("otp.client", settings.otp_per_client_per_hour, 3600), f"ip:{client}"
    )
    too_many: RateLimited | None = None
    try:
        await enforce(
            limiter, Limit("otp.phone.minute", settings.otp_per_phone_per_minute, 60), index
        )
        await enforce(limiter, Limit("otp.phone.day", settings.otp_per_phone_per_day, 86400), index)
    except RateLimited as exc:
        too_many = exc
    # Read in the request's transaction, so after the limits (which count in their own): a
    # resend too soon is refused with the seconds left, which the page counts down.
    await _wait_before_resend(session, index, settings)
    if too_many is not None:
        raise too_many
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        LoginCode(
            phone_index=index,
            code_hash=_code_hash(index, code),
            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds),
        )
    )
    await sender.send(phone, code)
    return code


async def _wait_before_resend(session: AsyncSession, index: str, settings: Settings) -> None:
    last_sent = await repo.last_code_sent_at(session, index)
    if last_sent is None or settings.otp_resend_seconds <= 0:
        return
    wait = settings.otp_resend_seconds - (utcnow() - last_sent).total_seconds()
    if wait > 0:
        raise RateLimited(
            f"a code was just sent; ask for another in {math.ceil(wait)} seconds",
            code="code_resend_wait",
            details={"retry_after_seconds": math.ceil(wait)},
            retry_after_seconds=math.ceil(wait),
        )


async def get_or_create_user(session: AsyncSession, phone: str) -> User:
    user = await repo.user_by_phone(session, phone)
    if user is None:
        user = User(phone=phone, phone_index=repo.phone_index(phone), display_name="")
        session.add(user)
        await session.flush()
    return user


async def create_operator(session: AsyncSession, phone: str, password: str, name: str) -> User:
    user = await get_or_create_user(session, phone)
    user.is_operator = True
    user.password_hash = await hash_password(password)
    user.display_name = name or user.display_name
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", code="weak_password")
    user.password_hash = await hash_password(password)


async def issue_session(session: AsyncSession, user: User, settings: Settings) -> IssuedSession:
    token = new_token()
    ttl = timedelta(days=settings.session_ttl_days)
    session.add(
        AuthSession(user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + ttl)
    )
    return IssuedSession(token=token, user=user, expires_in_seconds=int(ttl.total_seconds()))


async def verify_login_code(
    session: AsyncSession, *, phone: str, code: str, settings: Settings, limiter: RateLimiter
) -> None:
    """Use up the code sent to ``phone``: it proves the caller holds the phone (a sign-in,
    or a WeChat account verifying its phone). Raises when it is wrong or expired."""
    # Guessing is bounded by a limit that counts in its own transaction, so the attempts
    # of requests that fail (and roll back) still count.
    index = repo.phone_index(phone)
    await enforce(
        limiter,
        Limit("otp.verify", settings.otp_max_attempts, settings.otp_ttl_seconds),
        index,
    )
    now = utcnow()
    wanted = _code_hash(index, code)
    matching = [
        live
        for live in await repo.live_login_codes(session, index, now)
        if hmac.compare_digest(live.code_hash, wanted)
    ]
    failure = Unauthenticated("the code is wrong or has expired", code="invalid_code")
    if not matching or not await repo.consume_login_code(session, matching[0].id, now):
        raise failure
    await repo.retire_login_codes(session, index, now)


async def sign_in_with_code(
    session: AsyncSession, *, phone: str, code: str, settings: Settings, limiter: RateLimiter
) -> IssuedSession:
    await verify_login_code(session, phone=phone, code=code, settings=settings, limiter=limiter)
    user = await get_or_create_user(session, phone)
    if not user.is_active:
        raise Unauthenticated("this account is disabled", code="account_disabled")
    return await issue_session(session, user, settings)


def _password_backoff(settings: Settings, scope: str, max_failures: int) -> Backoff:
    return Backoff(
        name=f"password.{scope}",
        max_failures=max_failures,
        first_lock_seconds=settings.password_lock_seconds,
        max_lock_seconds=settings.password_max_lock_seconds,
        forget_after_seconds=settings.password_forget_after_seconds,
        reset_on_success=scope == "phone",
    )


async def _count_password_attempt(
    lockouts: Lockouts, backoff: Backoff, subject: str, scope: str
) -> None:
    try:
        await lockouts.attempt(backoff, subject)
    except Locked as locked:
        wait = locked.retry_after_seconds
        raise PasswordLocked(
            f"too many wrong passwords; password sign-in is locked for {wait} more seconds",
            details={"scope": scope, "retry_after_seconds": wait},
            retry_after_seconds=wait,
        ) from None


async def sign_in_with_password(
    session: AsyncSession, *, phone: str, password: str, client: str, runtime: Runtime
) -> IssuedSession:
    """Guessing is bounded per phone number and per client address: too many wrong passwords
    lock password sign-in for a while (longer each time), even with the right password.
    Registered or not, every phone number costs the same checks and the same hashing, so
    neither the answer nor its timing tells whether it is registered."""
    settings = runtime.settings
    by_client = _password_backoff(settings, "client", settings.password_client_max_failures)
    by_phone = _password_backoff(settings, "phone", settings.password_max_failures)
    client_subject, phone_subject = f"ip:{client}", repo.phone_index(phone)
    # Counted before the request's transaction starts (see Lockouts.attempt).
    await _count_password_attempt(runtime.lockouts, by_client, client_subject, "client")
    await _count_password_attempt(runtime.lockouts, by_phone, phone_subject, "phone")
    # Read apart from the request's transaction, which on SQLite would hold the database's
    # one write lock through the hashing.
    async with runtime.db.session(write=False) as reader:
        user = await repo.user_by_phone(reader, phone)
    matches = await verify_password(password, user.password_hash if user else None)
    if user is None or not user.is_active or not matches:
        raise Unauthenticated("wrong phone number or password", code="invalid_credentials")
    await runtime.lockouts.succeeded(by_phone, phone_subject, session)
    await runtime.lockouts.succeeded(by_client, client_subject, session)
    return await issue_session(session, user, settings)


async def authenticate(session: AsyncSession, token: str) -> User:
    user = await repo.user_by_token_hash(session, token_digest(token), utcnow())
    if user is None:
        raise Unauthenticated("sign in first: the session is missing or has expired")
    return user


async def signed_in_user_id(db: Database, token: str, now: datetime) -> int:
    """:func:`authenticate` for the paths that take a peak: only the user's id, and the
    session kept in memory while neither sessions nor users change (a sign-out or a
    deactivated account shows on the next request, from any process)."""
    digest = token_digest(token)
    holder = await db.kept(
        ("accounts.session", digest), lambda session: repo.session_holder(session, digest)
    )
    if holder is None or holder[1] <= now:
        raise Unauthenticated("sign in first: the session is missing or has expired")
    return holder[0]


async def sign_out(session: AsyncSession, token: str) -> None:
    await repo.revoke_session(session, token_digest(token), utcnow())


async def list_addresses(session: AsyncSession, user: User) -> list[Address]:
    return await repo.addresses_of(session, user.id)


async def get_address(session: AsyncSession, user: User, address_id: int) -> Address:
    address = await repo.address_of(session, user.id, address_id)
    if address is None:
        raise NotFound("no such address")
    return address


async def add_address(session: AsyncSession, user: User, data: AddressIn) -> Address:
    existing = await repo.addresses_of(session, user.id)
    if len(existing) >= MAX_ADDRESSES:
        raise InvalidInput(f"at most {MAX_ADDRESSES} addresses", code="too_many_addresses")
    is_default = data.is_default or not existing
    if is_default:
        await repo.clear_default_address(session, user.id)
    address = Address(
        user_id=user.id, **data.model_dump(exclude={"is_default"}), is_default=is_default
    )
    session.add(address)
    await session.flush()
    return address


async def update_address(
    session: AsyncSession, user: User, address_id: int, patch: AddressPatch
) -> Address:
    address = await get_address(session, user, address_id)
    changes = patch.model_dump(exclude_unset=True, exclude_none=True)
    if changes.pop("is_default", False):
        await repo.clear_default_address(session, user.id)
        address.is_default = True
    for name, value in changes.items():
        setattr(address, name, value)
    await session.flush()
    return address


async def delete_address(session: AsyncSession, user: User, address_id: int) -> None:
    address = await get_address(session, user, address_id)
    address.is_deleted = True
    address.is_default = False
