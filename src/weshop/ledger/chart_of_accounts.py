"""The chart of accounts: who owns each kind of account and where it counts in the invariant.

Each store has its own provider clearing, frozen, fee-held, subsidy-due, available and
shopper-refunds accounts; the platform has one fee account and one subsidy account. For
every order, at every moment (sums of that order's postings)::

    paid = store released + store frozen + platform + commissions + refunded

where *paid* is what the provider collected (the clearing account, negated), *store frozen*
counts the frozen, fee-held and subsidy-due accounts, and *platform* is the fee received
less the platform's own money given as subsidies. Because every entry balances, the
equation holds by construction; ``weshop ledger check`` verifies it row by row anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.ledger.models import AccountKind, AccountOwner, LedgerAccount


class Term(enum.StrEnum):
    """A term of the per-order invariant."""

    PAID = "paid"
    STORE_FROZEN = "store_frozen"
    STORE_RELEASED = "store_released"
    PLATFORM = "platform"
    # Promoters' commissions (frozen, then released) will get accounts counted here.
    COMMISSION = "commission"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class AccountSpec:
    owner: AccountOwner
    term: Term
    description: str

    @property
    def per_store(self) -> bool:
        return self.owner != AccountOwner.PLATFORM


K = AccountKind
SPECS: dict[AccountKind, AccountSpec] = {
    K.PROVIDER_CLEARING: AccountSpec(
        AccountOwner.EXTERNAL, Term.PAID, "What shoppers paid the store through the provider."
    ),
    K.STORE_FROZEN: AccountSpec(
        AccountOwner.STORE, Term.STORE_FROZEN, "The store's money, frozen at the provider."
    ),
    K.STORE_FEE_HELD: AccountSpec(
        AccountOwner.STORE,
        Term.STORE_FROZEN,
        "Frozen money set aside for the platform fee; shared to the platform at settlement.",
    ),
    K.STORE_SUBSIDY_DUE: AccountSpec(
        AccountOwner.STORE,
        Term.STORE_FROZEN,
        "Platform-funded discounts the platform owes the store, paid at settlement.",
    ),
    K.STORE_AVAILABLE: AccountSpec(
        AccountOwner.STORE, Term.STORE_RELEASED, "Released to the store after settlement."
    ),
    K.SHOPPER_REFUNDS: AccountSpec(AccountOwner.EXTERNAL, Term.REFUNDED, "Paid back to shoppers."),
    K.PLATFORM_FEE: AccountSpec(
        AccountOwner.PLATFORM, Term.PLATFORM, "The platform's fee, received at settlement."
    ),
    K.PLATFORM_SUBSIDY: AccountSpec(
        AccountOwner.PLATFORM,
        Term.PLATFORM,
        "The platform's own money given for platform-funded discounts (negative).",
    ),
}

PLATFORM_KINDS = frozenset(
    kind for kind, spec in SPECS.items() if spec.owner == AccountOwner.PLATFORM
)
STORE_KINDS = frozenset(kind for kind, spec in SPECS.items() if spec.owner == AccountOwner.STORE)


def term_totals(by_kind: dict[AccountKind, int]) -> dict[Term, int]:
    """The invariant's terms from balances by account kind; *paid* counts the money in."""
    totals = dict.fromkeys(Term, 0)
    for kind, amount in by_kind.items():
        term = SPECS[kind].term
        totals[term] += -amount if term == Term.PAID else amount
    return totals


def account_code(kind: AccountKind, store_id: int) -> str:
    return f"{kind}:{store_id}" if SPECS[kind].per_store else str(kind)


async def account_ids(
    session: AsyncSession, store_id: int, kinds: Iterable[AccountKind]
) -> dict[AccountKind, int]:
    """The ids of the store's (and the platform's) accounts of ``kinds``, opened on first use."""
    wanted = {account_code(kind, store_id): kind for kind in set(kinds)}
    rows = await session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(wanted))
    )
    found = {wanted[code]: account_id for code, account_id in rows}
    for code, kind in wanted.items():
        if kind not in found:
            found[kind] = await _open_account(session, code, kind, store_id)
    return found


async def _open_account(session: AsyncSession, code: str, kind: AccountKind, store_id: int) -> int:
    spec = SPECS[kind]
    account = LedgerAccount(
        code=code, kind=kind, owner=spec.owner, store_id=store_id if spec.per_store else None
    )
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
        return account.id
    except IntegrityError:  # opened meanwhile by a concurrent transaction
        return await session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
