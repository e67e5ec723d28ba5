"""Posting entries: balanced, idempotent by source, append-only.

An entry is posted for a *source* (a payment, a refund, an order's settlement, a reversal).
A source that already has a standing entry posts nothing: a replayed hook or a repeated
deadline changes nothing. Only after its entry was reversed is a source posted again, under
a fresh idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import CHINA_TZ, utcnow
from weshop.core.errors import WeShopError
from weshop.ledger import repository as repo
from weshop.ledger.chart_of_accounts import keyed_account_ids
from weshop.ledger.models import AccountKind, EntryKind, JournalEntry, Posting
from weshop.ledger.targets import Part

log = structlog.get_logger(__name__)

# Statements run by the calendar day in China.
BUSINESS_TZ = CHINA_TZ


class UnbalancedEntry(WeShopError):
    """A bug, never bad input: the ledger refuses an entry whose postings do not sum to 0."""

    status_code = 500
    code = "ledger_unbalanced"


@dataclass(frozen=True)
class Leg:
    """One posting to be: ``amount_fen`` into the order's account of ``kind``, for ``part``
    (and ``promoter_id``, for a promoter's kind of account)."""

    kind: AccountKind
    amount_fen: int
    part: Part = None
    promoter_id: int | None = None


@dataclass(frozen=True)
class Source:
    kind: EntryKind
    key: str
    store_id: int
    order_id: int
    memo: str
    payment_id: int | None = None
    refund_id: int | None = None
    reverses_entry_id: int | None = None


def business_day(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


async def post(
    session: AsyncSession, source: Source, legs: list[Leg], now: datetime | None = None
) -> JournalEntry | None:
    """Post one balanced entry for ``source``; None when the source already stands posted."""
    legs = [leg for leg in legs if leg.amount_fen]
    total = sum(leg.amount_fen for leg in legs)
    if total:
        log.error("ledger.unbalanced_entry", source=source.key, legs=legs)
        raise UnbalancedEntry(f"the postings of {source.key} sum to {total}, not 0")
    now = now or utcnow()
    values = {
        "kind": source.kind,
        "store_id": source.store_id,
        "order_id": source.order_id,
        "payment_id": source.payment_id,
        "refund_id": source.refund_id,
        "source_key": source.key,
        "reverses_entry_id": source.reverses_entry_id,
        "memo": source.memo[:200],
        "business_day": business_day(now),
        "created_at": now.astimezone(UTC),
    }
    # Most sources are posted once: try the plain key first, and count only if it is taken.
    entry = await repo.insert_entry(session, {**values, "idempotency_key": source.key})
    if entry is None:
        posted, standing = await repo.source_entries(session, source.key)
        if standing or posted == 0:  # posted, or being posted by a concurrent transaction
            return None
        entry = await repo.insert_entry(
            session, {**values, "idempotency_key": f"{source.key}#{posted + 1}"}
        )
        if entry is None:
            return None
    accounts = await keyed_account_ids(
        session, source.store_id, {(leg.kind, leg.promoter_id) for leg in legs}
    )
    if legs:
        # One INSERT of many rows (executemany): postings are never read back here.
        await session.execute(
            insert(Posting),
            [
                {
                    "entry_id": entry.id,
                    "account_id": accounts[(leg.kind, leg.promoter_id)],
                    "store_id": source.store_id,
                    "order_id": source.order_id,
                    "order_line_id": leg.part,
                    "amount_fen": leg.amount_fen,
                }
                for leg in legs
            ],
        )
    return entry
