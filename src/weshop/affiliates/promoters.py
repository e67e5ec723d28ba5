"""The platform's affiliate policy and promoters: applying, reviewing, share codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.commission import MAX_LEVELS
from weshop.affiliates.models import (
    DEFAULT_AFTER_SALES_FREEZE_DAYS,
    DEFAULT_BINDING_WINDOW_DAYS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_SPLIT_BPS,
    DEFAULT_MIN_WITHDRAWAL_FEN,
    AffiliatePolicy,
    Promoter,
    PromoterStatus,
)
from weshop.affiliates.schemas import PolicyIn, PromoterApplication
from weshop.affiliates.state import PROMOTER_MACHINE
from weshop.core.errors import InvalidInput, NotFound, PermissionDenied
from weshop.core.pagination import paginate

# Share codes: no 0/O, 1/I/L, so that a code read aloud or off a poster is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_ATTEMPTS = 5


class NotAPromoter(PermissionDenied):
    """The caller has no approved promoter record."""

    code = "not_a_promoter"


@dataclass(frozen=True)
class Policy:
    max_depth: int
    binding_window_days: int
    min_withdrawal_fen: int
    after_sales_freeze_days: int
    max_split_bps: int
    updated_at: datetime | None


DEFAULT_POLICY = Policy(
    max_depth=DEFAULT_MAX_DEPTH,
    binding_window_days=DEFAULT_BINDING_WINDOW_DAYS,
    min_withdrawal_fen=DEFAULT_MIN_WITHDRAWAL_FEN,
    after_sales_freeze_days=DEFAULT_AFTER_SALES_FREEZE_DAYS,
    max_split_bps=DEFAULT_MAX_SPLIT_BPS,
    updated_at=None,
)


async def current_policy(session: AsyncSession) -> Policy:
    row = await repo.policy(session)
    if row is None:
        return DEFAULT_POLICY
    return Policy(
        max_depth=row.max_depth,
        binding_window_days=row.binding_window_days,
        min_withdrawal_fen=row.min_withdrawal_fen,
        after_sales_freeze_days=row.after_sales_freeze_days,
        max_split_bps=row.max_split_bps,
        updated_at=row.updated_at,
    )


async def set_policy(session: AsyncSession, operator_id: int, data: PolicyIn) -> Policy:
    if data.max_depth > MAX_LEVELS:
        raise InvalidInput(
            "at most two levels of commission: multi-level distribution beyond two levels "
            "is illegal pyramid selling",
            code="depth_not_allowed",
            details={"max_depth": MAX_LEVELS},
        )
    row = await repo.policy(session)
    if row is None:
        row = AffiliatePolicy(id=repo.POLICY_ID)
        session.add(row)
    row.max_depth = data.max_depth
    row.binding_window_days = data.binding_window_days
    row.min_withdrawal_fen = data.min_withdrawal_fen
    row.after_sales_freeze_days = data.after_sales_freeze_days
    row.max_split_bps = data.max_split_bps
    row.updated_by = operator_id
    await session.flush()
    await session.refresh(row)
    return await current_policy(session)


async def apply(
    session: AsyncSession, user_id: int, data: PromoterApplication
) -> tuple[Promoter, bool]:
    """The user's application, and whether it was made now (a repeat answers the first)."""
    existing = await repo.promoter_of_user(session, user_id)
    if existing is not None:
        return existing, False
    inviter = None
    if data.inviter_code is not None:
        inviter = await repo.approved_promoter_with_code(session, data.inviter_code)
        if inviter is None:
            raise InvalidInput("no approved promoter has this code", code="unknown_inviter")
    policy = await current_policy(session)
    promoter = Promoter(
        user_id=user_id,
        real_name=data.real_name,
        phone=data.phone,
        status=PromoterStatus.PENDING,
        invited_by_id=inviter.id if inviter else None,
        # The inviter is the second level only where the policy pays two levels.
        parent_id=inviter.id if inviter and policy.max_depth >= 2 else None,
    )
    session.add(promoter)
    await session.flush()
    await session.refresh(promoter)
    return promoter, True


async def own(session: AsyncSession, user_id: int) -> Promoter:
    promoter = await repo.promoter_of_user(session, user_id)
    if promoter is None:
        raise NotFound("you have not applied to be a promoter")
    return promoter


async def approved(session: AsyncSession, user_id: int) -> Promoter:
    """The caller as an approved promoter; anyone else may not use a promoter's views."""
    promoter = await repo.promoter_of_user(session, user_id)
    if promoter is None or promoter.status != PromoterStatus.APPROVED:
        raise NotAPromoter("only approved promoters may do this")
    return promoter


async def list_promoters(
    session: AsyncSession, status: PromoterStatus | None, cursor: str | None, limit: int
) -> list[Promoter]:
    query = paginate(repo.promoters_query(status), Promoter, cursor, limit)
    return list(await session.scalars(query))


async def _promoter(session: AsyncSession, promoter_id: int) -> Promoter:
    promoter = await repo.promoter(session, promoter_id)
    if promoter is None:
        raise NotFound("no such promoter")
    return promoter


async def _new_code(session: AsyncSession) -> str:
    for _ in range(CODE_ATTEMPTS):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not await repo.code_taken(session, code):
            return code
    # 31^8 codes: reaching this means the generator is broken, not that codes ran out.
    raise RuntimeError("could not draw a free share code")


async def approve(
    session: AsyncSession, operator_id: int, promoter_id: int, now: datetime
) -> Promoter:
    promoter = await _promoter(session, promoter_id)
    PROMOTER_MACHINE.target(promoter.status, "approve")  # refuse before drawing a code
    await PROMOTER_MACHINE.apply(
        session,
        promoter,
        "approve",
        code=await _new_code(session),
        reviewed_at=now,
        reviewed_by=operator_id,
    )
    return promoter


async def reject(
    session: AsyncSession, operator_id: int, promoter_id: int, reason: str, now: datetime
) -> Promoter:
    promoter = await _promoter(session, promoter_id)
    await PROMOTER_MACHINE.apply(
        session,
        promoter,
        "reject",
        review_reason=reason,
        reviewed_at=now,
        reviewed_by=operator_id,
    )
    return promoter
