"""The chart of accounts: who owns each kind of account and where it counts in the invariant.

Each store has its own provider clearing, frozen, fee-held, subsidy-due, available and
shopper-refunds accounts; the platform has one fee account and one subsidy account; each
promoter has a commission account (what the provider split to them), and, per store, a
commission-owed account (settled, held by the store until the promoter has a payout
account) and a claw-back account (negative: refunded after settlement, carried against the
promoter's next settlement). For every order, at every moment (sums of that order's
postings)::

    paid = store released + store frozen + platform + commissions + refunded

where *paid* is what the provider collected (the clearing account, negated), *store frozen*
counts the frozen, fee-held and subsidy-due accounts, *platform* is the fee received less
the platform's own money given as subsidies, and *commissions* the three promoter kinds.
Because every entry balances, the equation holds by construction; ``weshop ledger check``
verifies it row by row anyway.
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
    # Promoters' commissions, cut from the store's frozen money at settlement.
    COMMISSION = "commission"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class AccountSpec:
    owner: AccountOwner
    term: Term
    description: str
    per_store: bool = True
    per_promoter: bool = False


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
        AccountOwner.PLATFORM,
        Term.PLATFORM,
        "The platform's fee, received at settlement.",
        per_store=False,
    ),
    K.PLATFORM_SUBSIDY: AccountSpec(
        AccountOwner.PLATFORM,
        Term.PLATFORM,
        "The platform's own money given for platform-funded discounts (negative).",
        per_store=False,
    ),
    K.PROMOTER_COMMISSION: AccountSpec(
        AccountOwner.PROMOTER,
        Term.COMMISSION,
        "A promoter's commission, split to their payout account at the provider.",
        per_store=False,
        per_promoter=True,
    ),
    K.COMMISSION_OWED: AccountSpec(
        AccountOwner.PROMOTER,
        Term.COMMISSION,
        "A promoter's settled commission the store holds: no payout account when it settled "
        "(negative on a later order of the store whose settlement netted or paid it).",
        per_promoter=True,
    ),
    K.COMMISSION_CLAWBACK: AccountSpec(
        AccountOwner.PROMOTER,
        Term.COMMISSION,
        "Commission refunded after settlement (negative): the promoter owes it to the store, "
        "carried against their next settlement.",
        per_promoter=True,
    ),
}

PLATFORM_KINDS = frozenset(
    kind for kind, spec in SPECS.items() if spec.owner == AccountOwner.PLATFORM
)
STORE_KINDS = frozenset(kind for kind, spec in SPECS.items() if spec.owner == AccountOwner.STORE)
COMMISSION_KINDS = frozenset(kind for kind, spec in SPECS.items() if spec.term == Term.COMMISSION)


def term_totals(by_kind: dict[AccountKind, int]) -> dict[Term, int]:
    """The invariant's terms from balances by account kind; *paid* counts the money in."""
    totals = dict.fromkeys(Term, 0)
    for kind, amount in by_kind.items():
        term = SPECS[kind].term
        totals[term] += -amount if term == Term.PAID else amount
    return totals


def account_code(kind: AccountKind, store_id: int, promoter_id: int | None = None) -> str:
    spec = SPECS[kind]
    code = f"{kind}:{store_id}" if spec.per_store else str(kind)
    return f"{code}:p{promoter_id}" if spec.per_promoter else code


# An account of an order's entry: its kind, and its promoter for the promoter kinds.
AccountKey = tuple[AccountKind, int | None]


async def account_ids(
    session: AsyncSession, store_id: int, kinds: Iterable[AccountKind]
) -> dict[AccountKind, int]:
    """The ids of the store's (and the platform's) accounts of ``kinds``, opened on first use."""
    found = await keyed_account_ids(session, store_id, {(kind, None) for kind in kinds})
    return {kind: account_id for (kind, _), account_id in found.items()}


async def keyed_account_ids(
    session: AsyncSession, store_id: int, keys: Iterable[AccountKey]
) -> dict[AccountKey, int]:
    """The ids of the accounts of ``keys`` for the store's orders, opened on first use."""
    wanted = {account_code(kind, store_id, promoter): (kind, promoter) for kind, promoter in keys}
    rows = await session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(wanted))
    )
    found = {wanted[code]: account_id for code, account_id in rows}
    for code, key in wanted.items():
        if key not in found:
            found[key] = await _open_account(session, code, key, store_id)
    return found


async def _open_account(session: AsyncSession, code: str, key: AccountKey, store_id: int) -> int:
    kind, promoter_id = key
    spec = SPECS[kind]
    account = LedgerAccount(
        code=code,
        kind=kind,
        owner=spec.owner,
        store_id=store_id if spec.per_store else None,
        promoter_id=promoter_id if spec.per_promoter else None,
    )
    try:
        async with session.begin_nested():
            session.add(account)
            await session.flush()
        return account.id
    except IntegrityError:  # opened meanwhile by a concurrent transaction
        return await session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))
