"""``weshop ledger check``: the ledger verified against its own rules and against the money.

It reports, one violation each:

* an account that is not what the chart of accounts says (owner, store, code);
* an entry whose postings do not sum to zero;
* a posting in another store's account, or not of its entry's store and order;
* an order whose money does not add up: paid = store released + store frozen + platform +
  commissions + refunded;
* an order whose ledger disagrees with its succeeded payments and refunds, or with the
  paid and refunded amounts the order itself records;
* a line refunded beyond what was paid for it; a negative store balance; a store's
  commission owed to a promoter below zero (per order it may be: see
  :func:`weshop.ledger.service._owed_payouts`);
* an order whose fee or platform subsidy is not what the rules make of what was paid and
  refunded;
* store money in a platform account: a fee taken before settlement or beyond what is due,
  money taken from a store through the subsidy account; frozen money left after settlement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from weshop.ledger import repository as repo
from weshop.ledger.chart_of_accounts import (
    COMMISSION_KINDS,
    SPECS,
    STORE_KINDS,
    Term,
    account_code,
    term_totals,
)
from weshop.ledger.models import (
    AccountKind,
    AccountOwner,
    EntryKind,
    JournalEntry,
    LedgerAccount,
    OrderFeeTerms,
    Posting,
)
from weshop.ledger.service import order_facts
from weshop.ledger.targets import targets
from weshop.orders.models import Order, OrderLine
from weshop.orders.parts import Part
from weshop.payments.models import Payment, PaymentStatus, Refund, RefundStatus

K = AccountKind
BATCH = 500


@dataclass(frozen=True)
class Violation:
    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass
class CheckReport:
    entries: int = 0
    orders: int = 0
    violations: list[Violation] = field(default_factory=list)


async def check_ledger(session: AsyncSession) -> CheckReport:
    report = CheckReport()
    report.entries = int(await session.scalar(select(func.count()).select_from(JournalEntry)) or 0)
    report.violations += await _accounts_off_the_chart(session)
    report.violations += await _unbalanced_entries(session)
    report.violations += await _misplaced_postings(session)
    report.violations += await _owed_beyond_zero(session)
    order_ids = sorted(await _orders_with_money(session))
    report.orders = len(order_ids)
    for start in range(0, len(order_ids), BATCH):
        report.violations += await _check_orders(session, order_ids[start : start + BATCH])
    return report


async def _accounts_off_the_chart(session: AsyncSession) -> list[Violation]:
    """Accounts whose owner, store or code is not what the chart of accounts says."""
    found = []
    for account in await session.scalars(select(LedgerAccount).order_by(LedgerAccount.id)):
        spec = SPECS[account.kind]
        if (
            account.owner != spec.owner
            or (account.store_id is not None) != spec.per_store
            or (account.promoter_id is not None) != spec.per_promoter
            or account.code
            != account_code(account.kind, account.store_id or 0, account.promoter_id)
        ):
            found.append(
                Violation(
                    "account_off_the_chart",
                    f"account {account.id} ({account.code}): a {account.kind} account owned "
                    f"by {account.owner}, of store {account.store_id}",
                )
            )
    return found


async def _unbalanced_entries(session: AsyncSession) -> list[Violation]:
    rows = await session.execute(
        select(Posting.entry_id, func.sum(Posting.amount_fen))
        .group_by(Posting.entry_id)
        .having(func.sum(Posting.amount_fen) != 0)
        .order_by(Posting.entry_id)
    )
    return [
        Violation("entry_unbalanced", f"entry {entry_id}: postings sum to {total}, not 0")
        for entry_id, total in rows
    ]


async def _owed_beyond_zero(session: AsyncSession) -> list[Violation]:
    """A store's commission owed to a promoter paid beyond what it owed (per order the
    account goes negative where a settlement paid earlier orders' owed commission)."""
    rows = await session.execute(
        select(LedgerAccount.code, func.sum(Posting.amount_fen))
        .join(Posting, Posting.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == K.COMMISSION_OWED)
        .group_by(LedgerAccount.code)
        .having(func.sum(Posting.amount_fen) < 0)
        .order_by(LedgerAccount.code)
    )
    return [
        Violation("negative_balance", f"account {code}: commission owed is {total}")
        for code, total in rows
    ]


async def _misplaced_postings(session: AsyncSession) -> list[Violation]:
    rows = await session.execute(
        select(Posting.id, Posting.entry_id, Posting.store_id, LedgerAccount.code)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(Order, Order.id == Posting.order_id)
        .where(
            or_(
                and_(
                    LedgerAccount.store_id.is_not(None), LedgerAccount.store_id != Posting.store_id
                ),
                and_(
                    LedgerAccount.owner == AccountOwner.PLATFORM,
                    LedgerAccount.store_id.is_not(None),
                ),
                Posting.store_id != JournalEntry.store_id,
                Posting.order_id != JournalEntry.order_id,
                Order.store_id != Posting.store_id,
            )
        )
        .order_by(Posting.id)
    )
    return [
        Violation(
            "posting_misplaced",
            f"posting {posting_id} of entry {entry_id}: money of store {store_id} "
            f"in account {code}, or not of its entry's store and order",
        )
        for posting_id, entry_id, store_id, code in rows
    ]


async def _orders_with_money(session: AsyncSession) -> set[int]:
    query = union(
        select(Posting.order_id),
        select(Payment.order_id).where(Payment.status == PaymentStatus.SUCCEEDED),
        select(Order.id).where(or_(Order.paid_fen != 0, Order.refunded_fen != 0)),
    )
    return set((await session.scalars(select(query.subquery().c[0]))).all())


def _by_order(rows: Iterable[Any]) -> dict[int, int]:
    return {order_id: int(total) for order_id, total in rows}


async def _sums(session: AsyncSession, order_ids: list[int]) -> tuple[dict[int, int], ...]:
    """Per order: succeeded payments, succeeded refunds, and what the ledger posted as
    payments the order accepted (reversals of them included)."""
    payments = await session.execute(
        select(Payment.order_id, func.sum(Payment.amount_fen))
        .where(Payment.order_id.in_(order_ids), Payment.status == PaymentStatus.SUCCEEDED)
        .group_by(Payment.order_id)
    )
    refunds = await session.execute(
        select(Refund.order_id, func.sum(Refund.amount_fen))
        .where(Refund.order_id.in_(order_ids), Refund.status == RefundStatus.SUCCEEDED)
        .group_by(Refund.order_id)
    )
    reversed_entry = aliased(JournalEntry)
    accepted = await session.execute(
        select(Posting.order_id, -func.sum(Posting.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_entry_id)
        .where(
            Posting.order_id.in_(order_ids),
            LedgerAccount.kind == K.PROVIDER_CLEARING,
            func.coalesce(reversed_entry.kind, JournalEntry.kind) == EntryKind.PAYMENT,
        )
        .group_by(Posting.order_id)
    )
    return _by_order(payments), _by_order(refunds), _by_order(accepted)


async def _check_orders(session: AsyncSession, order_ids: list[int]) -> list[Violation]:
    rows = await session.execute(
        select(
            Posting.order_id,
            LedgerAccount.kind,
            Posting.order_line_id,
            func.sum(Posting.amount_fen),
        )
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(Posting.order_id.in_(order_ids))
        .group_by(Posting.order_id, LedgerAccount.kind, Posting.order_line_id)
    )
    balances: dict[int, repo.Balances] = defaultdict(dict)
    for order_id, kind, part, total in rows:
        balances[order_id][(kind, part)] = int(total)
    payments, refunds, accepted = await _sums(session, order_ids)
    orders = await session.scalars(
        select(Order)
        .options(
            load_only(
                Order.id,
                Order.store_id,
                Order.status,
                Order.paid_fen,
                Order.refunded_fen,
                Order.shipping_fen,
            )
        )
        .where(Order.id.in_(order_ids))
    )
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in await session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids))):
        lines[line.order_id].append(line)
    terms = {
        t.order_id: t
        for t in await session.scalars(
            select(OrderFeeTerms).where(OrderFeeTerms.order_id.in_(order_ids))
        )
    }
    settled = set(
        await session.scalars(
            select(JournalEntry.order_id).where(
                JournalEntry.order_id.in_(order_ids),
                JournalEntry.kind == EntryKind.SETTLEMENT,
                repo.unreversed(),
            )
        )
    )
    violations: list[Violation] = []
    for order in orders:
        ledger = OrderCheck(order, lines[order.id], terms.get(order.id), balances[order.id])
        violations += ledger.money(payments, refunds, accepted)
        violations += ledger.parts()
        violations += ledger.fee_and_subsidy(settled=order.id in settled)
        violations += ledger.commission(settled=order.id in settled)
    return violations


class OrderCheck:
    """The checks of one order, over its balances by (account kind, part)."""

    def __init__(
        self,
        order: Order,
        lines: list[OrderLine],
        terms: OrderFeeTerms | None,
        balances: repo.Balances,
    ) -> None:
        self.order = order
        self.facts = order_facts(order, lines, terms)
        self.balances = balances
        self.by_kind: dict[AccountKind, int] = defaultdict(int)
        for (kind, _), amount in balances.items():
            self.by_kind[kind] += amount

    def _v(self, code: str, message: str) -> Violation:
        return Violation(code, f"order {self.order.id}: {message}")

    def by_part(self, kind: AccountKind, sign: int = 1) -> dict[Part, int]:
        found: dict[Part, int] = defaultdict(int)
        for (k, part), amount in self.balances.items():
            if k == kind:
                found[part] += sign * amount
        return found

    def money(
        self, payments: dict[int, int], refunds: dict[int, int], accepted: dict[int, int]
    ) -> Iterator[Violation]:
        t = term_totals(self.by_kind)
        rest = sum(amount for term, amount in t.items() if term != Term.PAID)
        if t[Term.PAID] != rest:
            yield self._v(
                "order_unbalanced",
                f"paid {t[Term.PAID]} != released {t[Term.STORE_RELEASED]} + frozen "
                f"{t[Term.STORE_FROZEN]} + platform {t[Term.PLATFORM]} + commission "
                f"{t[Term.COMMISSION]} + refunded {t[Term.REFUNDED]} (= {rest})",
            )
        order_id = self.order.id
        if t[Term.PAID] != payments.get(order_id, 0):
            yield self._v(
                "paid_mismatch",
                f"the ledger holds {t[Term.PAID]} paid, the succeeded payments "
                f"{payments.get(order_id, 0)}",
            )
        if t[Term.REFUNDED] != refunds.get(order_id, 0):
            yield self._v(
                "refunded_mismatch",
                f"the ledger holds {t[Term.REFUNDED]} refunded, the succeeded refunds "
                f"{refunds.get(order_id, 0)}",
            )
        if self.order.refunded_fen != t[Term.REFUNDED]:
            yield self._v(
                "order_refunded_mismatch",
                f"the order says {self.order.refunded_fen} refunded, the ledger {t[Term.REFUNDED]}",
            )
        if self.order.paid_fen != accepted.get(order_id, 0):
            yield self._v(
                "order_paid_mismatch",
                f"the order says {self.order.paid_fen} paid, the ledger "
                f"{accepted.get(order_id, 0)} accepted",
            )

    def parts(self) -> Iterator[Violation]:
        paid = self.by_part(K.PROVIDER_CLEARING, sign=-1)
        for part, refunded in self.by_part(K.SHOPPER_REFUNDS).items():
            if refunded > paid.get(part, 0):
                yield self._v(
                    "part_over_refunded",
                    f"{_part_name(part)}: refunded {refunded} of {paid.get(part, 0)} paid",
                )
        for kind in sorted(STORE_KINDS):
            if self.by_kind.get(kind, 0) < 0:
                yield self._v("negative_balance", f"{kind} is {self.by_kind[kind]}")

    def fee_and_subsidy(self, *, settled: bool) -> Iterator[Violation]:
        goal = targets(
            self.facts, self.by_part(K.PROVIDER_CLEARING, -1), self.by_part(K.SHOPPER_REFUNDS)
        )
        fee_due = sum(goal.fee.values())
        held, taken = self.by_kind.get(K.STORE_FEE_HELD, 0), self.by_kind.get(K.PLATFORM_FEE, 0)
        if held + taken != fee_due:
            yield self._v("fee_mismatch", f"fee held {held} + taken {taken} != due {fee_due}")
        if taken > (fee_due if settled else 0) or taken < 0:
            when = "settled" if settled else "not yet settled"
            yield self._v(
                "store_money_in_platform_account",
                f"the platform fee account holds {taken} of it ({when}; fee due {fee_due})",
            )
        granted = self.by_part(K.PLATFORM_SUBSIDY, -1)
        if any(amount < 0 for amount in granted.values()):
            yield self._v(
                "store_money_in_platform_account",
                f"the platform subsidy account took {-sum(granted.values())} from the store",
            )
        if {p: a for p, a in granted.items() if a} != {p: a for p, a in goal.subsidy.items() if a}:
            yield self._v(
                "subsidy_mismatch",
                f"subsidy granted {sum(granted.values())}, due {sum(goal.subsidy.values())}",
            )
        frozen = [k for k in SPECS if SPECS[k].term == Term.STORE_FROZEN and self.by_kind.get(k)]
        if settled and frozen:
            yield self._v(
                "frozen_after_settlement", f"settled, yet {', '.join(frozen)} still hold money"
            )

    def commission(self, *, settled: bool) -> Iterator[Violation]:
        """Commission leaves the store's money only at settlement, and never exceeds what the
        store had of the line: a promoter is paid from the store's share, nothing else."""
        commission = sum(self.by_kind.get(kind, 0) for kind in COMMISSION_KINDS)
        if not settled and commission:
            yield self._v(
                "commission_before_settlement", f"{commission} of commission, not yet settled"
            )
        if self.by_kind.get(K.PROMOTER_COMMISSION, 0) < 0:
            yield self._v(
                "negative_balance", f"promoter_commission is {self.by_kind[K.PROMOTER_COMMISSION]}"
            )
        paid = self.by_part(K.PROVIDER_CLEARING, sign=-1)
        # The split carries the order's commissions and any owed commission of earlier
        # orders it pays (commission_owed, negative on this order by as much): both come
        # out of this order's money at the provider.
        cut = self.by_part(K.PROMOTER_COMMISSION)
        for part, owed in self.by_part(K.COMMISSION_OWED).items():
            cut[part] += max(owed, 0)
        for part, amount in cut.items():
            if amount > paid.get(part, 0):
                yield self._v(
                    "commission_over_paid",
                    f"{_part_name(part)}: commission {amount} of {paid.get(part, 0)} paid",
                )


def _part_name(part: Part) -> str:
    return "shipping" if part is None else f"line {part}"
