"""A store's after-sales policy: its return address (personal data: encrypted, the phone
masked for whoever does not need it), how long each side may take to answer, within the
platform's bounds (:data:`BOUNDS`), and the fast-refund threshold."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import repository as repo
from weshop.aftersales.models import AftersalesPolicy
from weshop.aftersales.schemas import PolicyIn
from weshop.core.tenancy import StoreScope

DEFAULT_FAST_REFUND_THRESHOLD_FEN = 5000


def default_policy(store_id: int) -> AftersalesPolicy:
    return AftersalesPolicy(
        store_id=store_id,
        return_recipient="",
        return_phone="",
        return_address="",
        store_answer_hours=48,
        shopper_ship_days=7,
        store_receive_days=7,
        shopper_answer_days=7,
        fast_refund_threshold_fen=DEFAULT_FAST_REFUND_THRESHOLD_FEN,
    )


async def policy_for(session: AsyncSession, store_id: int) -> AftersalesPolicy:
    """The store's policy, or the defaults (not stored) when it never set one."""
    return await repo.policy_of(session, store_id) or default_policy(store_id)


async def update_policy(
    session: AsyncSession, scope: StoreScope, body: PolicyIn
) -> AftersalesPolicy:
    """Change the fields sent; the others keep their value."""
    policy = await repo.policy_of(session, scope.store_id)
    if policy is None:
        policy = default_policy(scope.store_id)
        session.add(policy)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(policy, field, value)
    await session.flush()
    return policy
