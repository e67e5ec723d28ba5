"""Ledger queries: balances summed from postings, entries by their source, statements."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from weshop.ledger.models import AccountKind, EntryKind, JournalEntry, LedgerAccount, Posting
from weshop.orders.models import Order
from weshop.orders.parts import Part
from weshop.payments.models import Refund, RefundPart, RefundStatus

Balances = dict[tuple[AccountKind, Part], int]


# Built once: adapting an alias anew for every query cost more than running it.
_REVERSAL = aliased(JournalEntry)


def unreversed(entry: Any = JournalEntry) -> Any:
    """A condition: ``entry`` has not been reversed."""
    return ~exists().where(_REVERSAL.reverses_entry_id == entry.id)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_entry(session: AsyncSession, values: dict[str, Any]) -> JournalEntry | None:
    """The new entry, or None when its idempotency key (or the entry it reverses) is taken,
    by a committed entry or by a concurrent transaction, which this one then waits for."""
    return await session.scalar(
        _insert(session)(JournalEntry)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(JournalEntry)
    )


async def lock_order(session: AsyncSession, order_id: int) -> Order:
    """The order read afresh, its row held until the transaction ends, as ``lock_row``
    holds it (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writers run one at a time)."""
    return await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def order_balances(session: AsyncSession, order_id: int) -> Balances:
    """The order's balance in each account kind, by part (line, or None)."""
    rows = await session.execute(
        select(LedgerAccount.kind, Posting.order_line_id, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.order_id == order_id)
        .group_by(LedgerAccount.kind, Posting.order_line_id)
    )
    return {(kind, part): int(total) for kind, part, total in rows}


async def promoter_balances(
    session: AsyncSession, order_id: int, kind: AccountKind
) -> dict[tuple[int, Part], int]:
    """The order's balance in the promoter accounts of ``kind``, by promoter and line."""
    rows = await session.execute(
        select(LedgerAccount.promoter_id, Posting.order_line_id, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.order_id == order_id, LedgerAccount.kind == kind)
        .group_by(LedgerAccount.promoter_id, Posting.order_line_id)
    )
    return {(promoter, part): int(total) for promoter, part, total in rows}


async def has_pending_refunds(session: AsyncSession, order_id: int) -> bool:
    """Whether a refund of the order was asked of the provider and has no final answer."""
    found = await session.scalar(
        select(Refund.id)
        .where(Refund.order_id == order_id, Refund.status == RefundStatus.PENDING)
        .limit(1)
    )
    return found is not None


async def is_settled(session: AsyncSession, order_id: int) -> bool:
    """Whether the order has a settlement that was not reversed."""
    found = await session.scalar(
        select(JournalEntry.id)
        .where(
            JournalEntry.order_id == order_id,
            JournalEntry.kind == EntryKind.SETTLEMENT,
            unreversed(),
        )
        .limit(1)
    )
    return found is not None


async def source_entries(session: AsyncSession, source_key: str) -> tuple[int, bool]:
    """How many entries posted this source, and whether one of them still stands."""
    total, standing = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((unreversed(), 1), else_=0)), 0))
            .select_from(JournalEntry)
            .where(JournalEntry.source_key == source_key)
        )
    ).one()
    return int(total), int(standing) > 0


async def is_reversed(session: AsyncSession, entry_id: int) -> bool:
    found = await session.scalar(
        select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
    )
    return found is not None


async def postings_with_kinds(
    session: AsyncSession, entry_ids: list[int]
) -> dict[int, list[tuple[Posting, AccountKind]]]:
    rows = await session.execute(
        select(Posting, LedgerAccount.kind)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.entry_id.in_(entry_ids))
        .order_by(Posting.id)
    )
    found: dict[int, list[tuple[Posting, AccountKind]]] = defaultdict(list)
    for posting, kind in rows:
        found[posting.entry_id].append((posting, kind))
    return found


async def promoter_accounts(
    session: AsyncSession, kind: AccountKind, store_id: int, promoter_ids: set[int]
) -> dict[int, int]:
    """The store's account of ``kind`` of each promoter who has one: promoter -> account id."""
    rows = await session.execute(
        select(LedgerAccount.promoter_id, LedgerAccount.id).where(
            LedgerAccount.kind == kind,
            LedgerAccount.store_id == store_id,
            LedgerAccount.promoter_id.in_(promoter_ids),
        )
    )
    return {promoter: account_id for promoter, account_id in rows}


async def promoters_owed(session: AsyncSession, store_id: int) -> set[int]:
    """The promoters the store owes commission (settled without a payout account), as last
    committed: lock their accounts before relying on the balances."""
    rows = await session.scalars(
        select(LedgerAccount.promoter_id)
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.kind == AccountKind.COMMISSION_OWED, LedgerAccount.store_id == store_id
        )
        .group_by(LedgerAccount.promoter_id)
        .having(func.sum(Posting.amount_fen) > 0)
    )
    return {promoter for promoter in rows if promoter is not None}


async def account_balance(session: AsyncSession, account_id: int) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(
            Posting.account_id == account_id
        )
    )
    return int(total or 0)


async def account_promoters(session: AsyncSession, account_ids: set[int]) -> dict[int, int | None]:
    rows = await session.execute(
        select(LedgerAccount.id, LedgerAccount.promoter_id).where(LedgerAccount.id.in_(account_ids))
    )
    return {key: value for key, value in rows}


async def store_balances(
    session: AsyncSession, store_ids: list[int]
) -> dict[int, dict[AccountKind, int]]:
    """Each store's money by account kind, platform accounts counted by the store they
    concern (the fee it paid, the subsidies it received)."""
    rows = await session.execute(
        select(Posting.store_id, LedgerAccount.kind, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.store_id.in_(store_ids))
        .group_by(Posting.store_id, LedgerAccount.kind)
    )
    found: dict[int, dict[AccountKind, int]] = {store_id: {} for store_id in store_ids}
    for store_id, kind, total in rows:
        found[store_id][kind] = int(total)
    return found


def store_entries(store_id: int, day_from: date | None, day_to: date | None) -> Select[Any]:
    query = select(JournalEntry, Order.order_no).join(Order, Order.id == JournalEntry.order_id)
    query = query.where(JournalEntry.store_id == store_id)
    if day_from is not None:
        query = query.where(JournalEntry.business_day >= day_from)
    if day_to is not None:
        query = query.where(JournalEntry.business_day <= day_to)
    return query


async def entry_changes(
    session: AsyncSession, entry_ids: list[int]
) -> dict[int, dict[AccountKind, int]]:
    """What each entry moved, summed by account kind."""
    rows = await session.execute(
        select(Posting.entry_id, LedgerAccount.kind, func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.entry_id.in_(entry_ids))
        .group_by(Posting.entry_id, LedgerAccount.kind)
    )
    found: dict[int, dict[AccountKind, int]] = {entry_id: {} for entry_id in entry_ids}
    for entry_id, kind, total in rows:
        found[entry_id][kind] = int(total)
    return found


async def entry_changes_in_range(
    session: AsyncSession, store_id: int, day_from: date, day_to: date
) -> dict[int, dict[AccountKind, int]]:
    """What each of the store's entries of these days moved, summed by account kind."""
    rows = await session.execute(
        select(Posting.entry_id, LedgerAccount.kind, func.sum(Posting.amount_fen))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            JournalEntry.store_id == store_id,
            JournalEntry.business_day >= day_from,
            JournalEntry.business_day <= day_to,
        )
        .group_by(Posting.entry_id, LedgerAccount.kind)
    )
    found: dict[int, dict[AccountKind, int]] = defaultdict(dict)
    for entry_id, kind, total in rows:
        found[entry_id][kind] = int(total)
    return found


async def daily_changes(
    session: AsyncSession, store_id: int, day_from: date, day_to: date
) -> tuple[dict[date, dict[AccountKind, int]], dict[date, int]]:
    """Per day: the store's money moved by account kind, and how many entries."""
    in_range = (
        JournalEntry.store_id == store_id,
        JournalEntry.business_day >= day_from,
        JournalEntry.business_day <= day_to,
    )
    rows = await session.execute(
        select(JournalEntry.business_day, LedgerAccount.kind, func.sum(Posting.amount_fen))
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(*in_range)
        .group_by(JournalEntry.business_day, LedgerAccount.kind)
    )
    changes: dict[date, dict[AccountKind, int]] = defaultdict(dict)
    for day, kind, total in rows:
        changes[day][kind] = int(total)
    counts = await session.execute(
        select(JournalEntry.business_day, func.count())
        .where(*in_range)
        .group_by(JournalEntry.business_day)
    )
    return changes, {day: int(count) for day, count in counts}


async def last_settlement_entry(session: AsyncSession, order_id: int) -> int | None:
    """The order's latest settlement entry (reversed or not)."""
    return await session.scalar(
        select(JournalEntry.id)
        .where(JournalEntry.order_id == order_id, JournalEntry.kind == EntryKind.SETTLEMENT)
        .order_by(JournalEntry.id.desc())
        .limit(1)
    )


async def order_entries(session: AsyncSession, order_id: int) -> list[JournalEntry]:
    rows = await session.scalars(
        select(JournalEntry).where(JournalEntry.order_id == order_id).order_by(JournalEntry.id)
    )
    return list(rows)


async def refund_parts(session: AsyncSession, refund_id: int) -> dict[Part, int]:
    rows = await session.execute(
        select(RefundPart.order_line_id, RefundPart.amount_fen)
        .where(RefundPart.refund_id == refund_id)
        .order_by(RefundPart.id)
    )
    return {part: amount for part, amount in rows}
