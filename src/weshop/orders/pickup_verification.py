"""Verifying a pickup code at the counter (核销): the order completes, once.

Staff type (or scan) the code the shopper shows. A code that names no paid order of this
store — a wrong code or another store's, answered alike so that neither says more — is a 422
``unknown_pickup_code``; a code already collected is a 409 ``pickup_code_used``. Of two
verifications racing for one code, the compare-and-set on ``picked_up_at`` lets one win; the
other is ``pickup_code_used``.

Guessing is bounded per store and staff member (``core.lockout``): every attempt is counted
as a failure before it is checked, in a transaction of its own so that refused attempts
count; a success takes its attempt back. After ``VERIFY_BACKOFF.max_failures`` failures the
staff member is locked out of verifying at that store (429 ``pickup_verify_locked``), for 5
minutes, then twice as long each time, up to an hour.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, InvalidInput, RateLimited
from weshop.core.lockout import Backoff, Locked, Lockouts
from weshop.core.tenancy import StoreScope
from weshop.orders import repository as repo
from weshop.orders.models import Order
from weshop.orders.pickup import code_index
from weshop.orders.service import pick_up

VERIFY_BACKOFF = Backoff(
    name="pickup.verify",
    max_failures=10,
    first_lock_seconds=300,
    max_lock_seconds=3600,
    forget_after_seconds=3600,
    reset_on_success=False,
)


def _subject(scope: StoreScope) -> str:
    return f"{scope.store_id}:{scope.actor_id}"


async def count_attempt(lockouts: Lockouts, scope: StoreScope) -> None:
    """Count a verification attempt; 429 while this staff member is locked out. Call before
    the transaction that verifies."""
    try:
        await lockouts.attempt(VERIFY_BACKOFF, _subject(scope))
    except Locked as locked:
        wait = locked.retry_after_seconds
        raise RateLimited(
            f"too many wrong pickup codes; verifying is locked for {wait} more seconds",
            code="pickup_verify_locked",
            details={"retry_after_seconds": wait},
            retry_after_seconds=wait,
        ) from None


async def verify_code(
    session: AsyncSession, lockouts: Lockouts, scope: StoreScope, code: str
) -> Order:
    """Complete the paid pickup order of this store whose code this is (the attempt was
    counted by :func:`count_attempt`)."""
    pickup = await repo.pickup_by_code(session, scope.store_id, code_index(code))
    if pickup is None:
        raise InvalidInput(
            "no order of this store has this pickup code", code="unknown_pickup_code"
        )
    if pickup.picked_up_at is not None:
        raise Conflict("this pickup code was already used", code="pickup_code_used")
    now = utcnow()
    if not await repo.mark_picked_up(session, pickup.id, now, scope.actor_id):
        raise Conflict("this pickup code was already used", code="pickup_code_used")
    order = await session.get_one(Order, pickup.order_id)
    await pick_up(session, order, f"staff:{scope.actor_id}", now)
    await lockouts.succeeded(VERIFY_BACKOFF, _subject(scope), session)
    return order
