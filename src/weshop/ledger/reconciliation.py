"""Daily reconciliation: the provider's records of a day against WeShop's payments, refunds
and ledger postings.

The provider's side is WeChat Pay's daily trade bill, or the sandbox gateway's own tables;
both cover one Beijing day (payments that succeeded that day, refunds accepted that day).
WeShop's side is every succeeded payment and refund of that provider on that day, plus any
the provider listed that WeShop recorded on another day (a refund succeeds here when the
provider answers, which may be after midnight). Each record is matched by ``out_trade_no``
or ``out_refund_no``; the ledger must hold exactly WeShop's amount for it: the provider
clearing account for a payment, the shopper refunds account for a refund.

Profit sharing is compared too, where the provider shares profits (WeChat Pay in partner
mode): the provider's profit-sharing bill of the day — each settlement's split to each
receiver, each return of a split — against the ledger. A settlement (out_order_no
``S<order_no>``) splits the platform fee (the ledger's platform fee account, posted by the
settlement) to the platform's merchant number and each promoter's commission (their
promoter commission account) to their payout openid; a refund of a settled order returns
the part of the fee it takes away (out_return_no ``F<out_refund_no>``: the fee the ledger's
refund entry took back). The ledger's side is every settlement and refund of the day, plus
any the provider listed that the ledger posted on another day. Commission owed by the store
(no payout account) and claw-backs are not split, so there is nothing to compare.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from weshop.core.events import ask
from weshop.ledger.announcements import PayoutAccounts
from weshop.ledger.models import AccountKind, EntryKind, JournalEntry, LedgerAccount, Posting
from weshop.orders.models import Order
from weshop.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from weshop.payments.provider_settlement import SETTLEMENT_ORDER_PREFIX, settlement_order_no
from weshop.payments.providers import SANDBOX, PaymentSetup
from weshop.payments.refunds import FEE_RETURN_PREFIX, fee_return_no
from weshop.payments.sandbox.gateway import SandboxGateway
from weshop.payments.sandbox.models import SandboxBase, SandboxRefund, SandboxTransaction
from weshop.payments.wechatpay.bills import RETURN_LINE, SPLIT_LINE, BillFile, yuan_to_fen
from weshop.payments.wechatpay.errors import WechatPayApiError, WechatPayError
from weshop.payments.wechatpay.provider import WechatPay
from weshop.payments.wechatpay.transactions import BEIJING, Partner

# Columns of the trade bill read here (the file's own Chinese headers).
BILL_TRADE_STATE = "交易状态"
BILL_OUT_TRADE_NO = "商户订单号"
BILL_ORDER_AMOUNT = "订单金额"
BILL_OUT_REFUND_NO = "商户退款单号"
BILL_REFUND_ASKED = "申请退款金额"
BILL_REFUND_STATE = "退款状态"
# Refund lines the provider has not (yet) paid out do not count as refunded money.
COUNTED_REFUND_STATES = frozenset({"SUCCESS", "PROCESSING"})
# Columns of the profit-sharing bill read here.
SHARING_OUT_NUMBER = "out_order_no"
SHARING_RECEIVER = "receiver_account"
SHARING_AMOUNT = "amount"
SHARING_BUSINESS_TYPE = "business_type"
SHARING_STATUS = "status"


class RecordKind(enum.StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    # A settlement's split to one receiver (by out_order_no), and a receiver's return of its
    # split before a refund (by out_return_no).
    SPLIT = "split"
    SPLIT_RETURN = "split_return"


class DifferenceKind(enum.StrEnum):
    MISSING_ON_OUR_SIDE = "missing_on_our_side"
    MISSING_AT_PROVIDER = "missing_at_provider"
    AMOUNT_MISMATCH = "amount_mismatch"
    LEDGER_MISMATCH = "ledger_mismatch"


@dataclass(frozen=True)
class MoneyRecord:
    """A payment (by out_trade_no) or a refund (by out_refund_no) and its amount."""

    kind: RecordKind
    reference: str
    amount_fen: int


@dataclass(frozen=True)
class SplitRecord:
    """Money profit sharing moved: to a receiver at a settlement, or back from one."""

    kind: RecordKind
    reference: str
    receiver: str
    amount_fen: int


@dataclass(frozen=True)
class OurSide:
    """WeShop's records of the day and what the ledger posted for each (by reference)."""

    records: list[MoneyRecord]
    ledger_fen: dict[tuple[RecordKind, str], int]


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    record: RecordKind
    reference: str
    provider_fen: int | None = None
    ours_fen: int | None = None
    ledger_fen: int | None = None
    # The split's receiver (a merchant number or an openid); None for payments and refunds.
    receiver: str | None = None

    def __str__(self) -> str:
        figures = ", ".join(
            f"{name} {_yuan(fen)}"
            for name, fen in (
                ("provider", self.provider_fen),
                ("WeShop", self.ours_fen),
                ("ledger", self.ledger_fen),
            )
            if fen is not None
        )
        receiver = f" receiver {self.receiver}" if self.receiver is not None else ""
        return f"{self.kind}: {self.record} {self.reference}{receiver} ({figures})"


class ProviderRecordsUnavailable(Exception):
    """The provider's records of the day cannot be had, so nothing can be compared."""


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def compare(provider: Iterable[MoneyRecord], ours: OurSide) -> list[Difference]:
    """Every difference between the two sides and between WeShop's records and its ledger,
    payments first, then refunds, each by reference."""
    theirs = {(record.kind, record.reference): record for record in provider}
    mine = {(record.kind, record.reference): record for record in ours.records}
    differences: list[Difference] = []
    for key in sorted(theirs.keys() | mine.keys()):
        kind, reference = key
        at_provider, here = theirs.get(key), mine.get(key)
        if here is None:
            assert at_provider is not None
            differences.append(
                Difference(
                    DifferenceKind.MISSING_ON_OUR_SIDE,
                    kind,
                    reference,
                    provider_fen=at_provider.amount_fen,
                )
            )
            continue
        if at_provider is None:
            differences.append(
                Difference(
                    DifferenceKind.MISSING_AT_PROVIDER, kind, reference, ours_fen=here.amount_fen
                )
            )
        elif at_provider.amount_fen != here.amount_fen:
            differences.append(
                Difference(
                    DifferenceKind.AMOUNT_MISMATCH,
                    kind,
                    reference,
                    provider_fen=at_provider.amount_fen,
                    ours_fen=here.amount_fen,
                )
            )
        posted = ours.ledger_fen.get(key, 0)
        if posted != here.amount_fen:
            differences.append(
                Difference(
                    DifferenceKind.LEDGER_MISMATCH,
                    kind,
                    reference,
                    ours_fen=here.amount_fen,
                    ledger_fen=posted,
                )
            )
    return differences


def compare_splits(
    provider: Iterable[SplitRecord], ledger: Iterable[SplitRecord]
) -> list[Difference]:
    """Every split or return the two sides do not agree on, by reference and receiver: listed
    by the provider only (missing on our side, the ledger's), posted by the ledger only
    (missing at the provider), or of different amounts."""
    theirs, ours = _split_sums(provider), _split_sums(ledger)
    differences: list[Difference] = []
    for key in sorted(theirs.keys() | ours.keys()):
        kind, reference, receiver = key
        at_provider, posted = theirs.get(key), ours.get(key)
        if posted is None:
            found = DifferenceKind.MISSING_ON_OUR_SIDE
        elif at_provider is None:
            found = DifferenceKind.MISSING_AT_PROVIDER
        elif at_provider != posted:
            found = DifferenceKind.AMOUNT_MISMATCH
        else:
            continue
        differences.append(
            Difference(
                found,
                kind,
                reference,
                provider_fen=at_provider,
                ledger_fen=posted,
                receiver=receiver,
            )
        )
    return differences


def _split_sums(records: Iterable[SplitRecord]) -> dict[tuple[RecordKind, str, str], int]:
    sums: dict[tuple[RecordKind, str, str], int] = {}
    for record in records:
        key = (record.kind, record.reference, record.receiver)
        sums[key] = sums.get(key, 0) + record.amount_fen
    return sums


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Beijing calendar day, as the provider's bill counts it."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return start, start + timedelta(days=1)


def bill_records(bill: BillFile) -> list[MoneyRecord]:
    """The payments and refunds listed in WeChat Pay's trade bill."""
    records: list[MoneyRecord] = []
    for row in bill.rows:
        state = row[BILL_TRADE_STATE]
        if state == "SUCCESS":
            records.append(
                MoneyRecord(
                    RecordKind.PAYMENT,
                    row[BILL_OUT_TRADE_NO],
                    yuan_to_fen(row[BILL_ORDER_AMOUNT]),
                )
            )
        elif state == "REFUND" and row[BILL_REFUND_STATE] in COUNTED_REFUND_STATES:
            records.append(
                MoneyRecord(
                    RecordKind.REFUND,
                    row[BILL_OUT_REFUND_NO],
                    yuan_to_fen(row[BILL_REFUND_ASKED]),
                )
            )
    return records


async def wechatpay_records(pay: WechatPay, day: date) -> list[MoneyRecord]:
    """Download and read the day's trade bill; a day without trade has none (no records)."""
    try:
        bill = await pay.bills.trade_bill(day)
    except WechatPayApiError as exc:
        if exc.wechat_code == "NO_STATEMENT_EXIST":
            return []
        raise ProviderRecordsUnavailable(
            f"WeChat Pay gave no trade bill for {day}: {exc.wechat_code} {exc.wechat_message}"
        ) from exc
    except WechatPayError as exc:  # unreachable, or an answer that did not verify
        raise ProviderRecordsUnavailable(f"WeChat Pay's trade bill for {day}: {exc}") from exc
    try:
        return bill_records(bill)
    except (KeyError, ArithmeticError, ValueError) as exc:
        raise ProviderRecordsUnavailable(f"WeChat Pay's trade bill for {day}: {exc}") from exc


def sharing_bill_records(bill: BillFile) -> list[SplitRecord]:
    """The splits to receivers and the returns in WeChat Pay's profit-sharing bill (the rest
    unfrozen to the paying merchant is its own money: the trade bill has it)."""
    kinds = {SPLIT_LINE: RecordKind.SPLIT, RETURN_LINE: RecordKind.SPLIT_RETURN}
    records: list[SplitRecord] = []
    for row in bill.rows:
        kind = kinds.get(row[SHARING_BUSINESS_TYPE])
        if kind is None or row[SHARING_STATUS] != "SUCCESS":
            continue
        records.append(
            SplitRecord(
                kind,
                row[SHARING_OUT_NUMBER],
                row[SHARING_RECEIVER],
                yuan_to_fen(row[SHARING_AMOUNT]),
            )
        )
    return records


async def wechatpay_split_records(pay: WechatPay, day: date) -> list[SplitRecord]:
    """Download and read the day's profit-sharing bill (every sub-merchant's); a day
    without splits has none."""
    try:
        bill = await pay.bills.profit_sharing_bill(day)
    except WechatPayApiError as exc:
        if exc.wechat_code == "NO_STATEMENT_EXIST":
            return []
        raise ProviderRecordsUnavailable(
            f"WeChat Pay gave no profit-sharing bill for {day}: "
            f"{exc.wechat_code} {exc.wechat_message}"
        ) from exc
    except WechatPayError as exc:
        raise ProviderRecordsUnavailable(
            f"WeChat Pay's profit-sharing bill for {day}: {exc}"
        ) from exc
    try:
        return sharing_bill_records(bill)
    except (KeyError, ArithmeticError, ValueError) as exc:
        raise ProviderRecordsUnavailable(
            f"WeChat Pay's profit-sharing bill for {day}: {exc}"
        ) from exc


async def sandbox_records(gateway: SandboxGateway, day: date) -> list[MoneyRecord]:
    """The sandbox gateway's paid transactions and refunds of the day (its own database)."""
    start, end = day_bounds(day)
    async with gateway.db.engine.begin() as conn:
        # The gateway makes its tables on first use; a gateway never used has none yet.
        await conn.run_sync(SandboxBase.metadata.create_all)
    async with gateway.db.session(write=False) as session:
        payments = await session.execute(
            select(SandboxTransaction.out_trade_no, SandboxTransaction.amount_fen).where(
                SandboxTransaction.status == "paid",
                SandboxTransaction.paid_at >= start,
                SandboxTransaction.paid_at < end,
            )
        )
        refunds = await session.execute(
            select(SandboxRefund.out_refund_no, SandboxRefund.amount_fen).where(
                SandboxRefund.created_at >= start, SandboxRefund.created_at < end
            )
        )
        return [
            *(MoneyRecord(RecordKind.PAYMENT, number, fen) for number, fen in payments),
            *(MoneyRecord(RecordKind.REFUND, number, fen) for number, fen in refunds),
        ]


async def our_side(
    session: AsyncSession, provider: str, day: date, provider_records: Iterable[MoneyRecord]
) -> OurSide:
    """WeShop's succeeded payments and refunds of ``provider`` on the day, or listed by it,
    and the ledger's postings for them."""
    start, end = day_bounds(day)
    listed: dict[RecordKind, set[str]] = {kind: set() for kind in RecordKind}
    for record in provider_records:
        listed[record.kind].add(record.reference)
    payments = (
        await session.execute(
            select(Payment.id, Payment.out_trade_no, Payment.amount_fen).where(
                Payment.provider == provider,
                Payment.status == PaymentStatus.SUCCEEDED,
                or_(
                    (Payment.paid_at >= start) & (Payment.paid_at < end),
                    Payment.out_trade_no.in_(listed[RecordKind.PAYMENT]),
                ),
            )
        )
    ).all()
    refunds = (
        await session.execute(
            select(Refund.id, Refund.out_refund_no, Refund.amount_fen)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.provider == provider,
                Refund.status == RefundStatus.SUCCEEDED,
                or_(
                    (Refund.succeeded_at >= start) & (Refund.succeeded_at < end),
                    Refund.out_refund_no.in_(listed[RecordKind.REFUND]),
                ),
            )
        )
    ).all()
    paid_in = await _ledger_sums(
        session,
        JournalEntry.payment_id,
        AccountKind.PROVIDER_CLEARING,
        [row.id for row in payments],
    )
    refunded = await _ledger_sums(
        session, JournalEntry.refund_id, AccountKind.SHOPPER_REFUNDS, [row.id for row in refunds]
    )
    ledger_fen: dict[tuple[RecordKind, str], int] = {}
    for row in payments:
        # Clearing is debited by what shoppers paid: the payment is its negation.
        ledger_fen[(RecordKind.PAYMENT, row.out_trade_no)] = -paid_in.get(row.id, 0)
    for row in refunds:
        ledger_fen[(RecordKind.REFUND, row.out_refund_no)] = refunded.get(row.id, 0)
    return OurSide(
        records=[
            *(
                MoneyRecord(RecordKind.PAYMENT, row.out_trade_no, row.amount_fen)
                for row in payments
            ),
            *(MoneyRecord(RecordKind.REFUND, row.out_refund_no, row.amount_fen) for row in refunds),
        ],
        ledger_fen=ledger_fen,
    )


async def _ledger_sums(
    session: AsyncSession,
    source_column: InstrumentedAttribute[int | None],
    account: AccountKind,
    source_ids: list[int],
) -> dict[int, int]:
    """Postings to ``account`` summed per payment or refund (reversals and reposts included)."""
    if not source_ids:
        return {}
    query: Select[tuple[int, int]] = (
        select(source_column, func.sum(Posting.amount_fen))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.kind == account, source_column.in_(source_ids))
        .group_by(source_column)
    )
    return {source_id: int(total) for source_id, total in await session.execute(query)}


async def ledger_splits(
    session: AsyncSession,
    provider: str,
    day: date,
    platform_account: str,
    provider_records: Iterable[SplitRecord],
) -> list[SplitRecord]:
    """What the ledger says profit sharing moved for ``provider``'s orders: at each
    settlement of the day (or listed by the provider), the platform fee to
    ``platform_account`` and each promoter's commission to their payout openid; at each
    refund of a settled order that day (or listed), the fee it took back."""
    listed: dict[RecordKind, set[str]] = {RecordKind.SPLIT: set(), RecordKind.SPLIT_RETURN: set()}
    for record in provider_records:
        listed[record.kind].add(record.reference)
    return [
        *await _settlement_splits(
            session, provider, day, platform_account, listed[RecordKind.SPLIT]
        ),
        *await _fee_returns(
            session, provider, day, platform_account, listed[RecordKind.SPLIT_RETURN]
        ),
    ]


async def _settlement_splits(
    session: AsyncSession, provider: str, day: date, platform_account: str, listed: set[str]
) -> list[SplitRecord]:
    order_nos = {
        number.removeprefix(SETTLEMENT_ORDER_PREFIX)
        for number in listed
        if number.startswith(SETTLEMENT_ORDER_PREFIX)
    }
    paid_here = (
        select(Payment.id)
        .where(
            Payment.order_id == Order.id,
            Payment.provider == provider,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .exists()
    )
    settled = select(JournalEntry.order_id).where(JournalEntry.kind == EntryKind.SETTLEMENT)
    orders = {
        order.id: order
        for order in await session.scalars(
            select(Order).where(
                or_(
                    Order.id.in_(settled.where(JournalEntry.business_day == day)),
                    Order.order_no.in_(order_nos) & Order.id.in_(settled),
                ),
                paid_here,
            )
        )
    }
    if not orders:
        return []
    settlements = select(JournalEntry.id).where(
        JournalEntry.kind == EntryKind.SETTLEMENT, JournalEntry.order_id.in_(list(orders))
    )
    # A settlement reversed and posted anew counts once: its reversal cancels it.
    sums = await session.execute(
        select(
            JournalEntry.order_id,
            LedgerAccount.kind,
            LedgerAccount.promoter_id,
            func.sum(Posting.amount_fen),
        )
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(
            LedgerAccount.kind.in_((AccountKind.PLATFORM_FEE, AccountKind.PROMOTER_COMMISSION)),
            or_(
                JournalEntry.id.in_(settlements),
                JournalEntry.reverses_entry_id.in_(settlements),
            ),
        )
        .group_by(JournalEntry.order_id, LedgerAccount.kind, LedgerAccount.promoter_id)
    )
    moved = [(order_id, kind, promoter, int(total)) for order_id, kind, promoter, total in sums]
    promoters = frozenset(promoter for _, _, promoter, _ in moved if promoter is not None)
    openids = await ask(session, PayoutAccounts(promoters)) if promoters else {}
    records = []
    for order_id, kind, promoter, total in moved:
        if not total:
            continue
        if kind == AccountKind.PLATFORM_FEE:
            receiver = platform_account
        else:
            assert promoter is not None
            receiver = openids.get(promoter) or f"promoter {promoter} (no payout account)"
        records.append(
            SplitRecord(RecordKind.SPLIT, settlement_order_no(orders[order_id]), receiver, total)
        )
    return records


async def _fee_returns(
    session: AsyncSession, provider: str, day: date, platform_account: str, listed: set[str]
) -> list[SplitRecord]:
    start, end = day_bounds(day)
    refund_nos = {
        number.removeprefix(FEE_RETURN_PREFIX)
        for number in listed
        if number.startswith(FEE_RETURN_PREFIX)
    }
    refunds = (
        await session.execute(
            select(Refund.id, Refund.out_refund_no)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.provider == provider,
                or_(
                    (Refund.status == RefundStatus.SUCCEEDED)
                    & (Refund.succeeded_at >= start)
                    & (Refund.succeeded_at < end),
                    Refund.out_refund_no.in_(refund_nos),
                ),
            )
        )
    ).all()
    # Before settlement the fee is still the store's (held): only a settled order's refund
    # takes fee back from the platform.
    taken = await _ledger_sums(
        session, JournalEntry.refund_id, AccountKind.PLATFORM_FEE, [row.id for row in refunds]
    )
    return [
        SplitRecord(
            RecordKind.SPLIT_RETURN, fee_return_no(row.out_refund_no), platform_account, -fee
        )
        for row in refunds
        if (fee := taken.get(row.id, 0))
    ]


@dataclass(frozen=True)
class Reconciliation:
    provider_records: int
    our_records: int
    differences: list[Difference]
    # Profit sharing: the provider's split records and the ledger's, or why they were not
    # compared (a provider that shares no profits).
    provider_splits: int = 0
    ledger_splits: int = 0
    splits_not_compared: str | None = None


async def reconcile_day(
    session: AsyncSession,
    provider: str,
    day: date,
    payments: PaymentSetup,
) -> Reconciliation:
    """The provider's records of the day against WeShop's and the ledger's: every difference.
    Raises ProviderRecordsUnavailable when the provider's side cannot be had (among others,
    a provider this installation does not have)."""
    splits_not_compared = None
    their_splits: list[SplitRecord] = []
    our_splits: list[SplitRecord] = []
    if provider == "wechatpay":
        if "wechatpay" not in payments.providers:
            raise ProviderRecordsUnavailable(
                "WeChat Pay is not configured (WESHOP_WECHATPAY_MCHID is not set)"
            )
        pay = payments.providers["wechatpay"].pay
        theirs = await wechatpay_records(pay, day)
        if isinstance(pay.merchant, Partner):
            their_splits = await wechatpay_split_records(pay, day)
            our_splits = await ledger_splits(
                session, provider, day, pay.merchant.sp_mchid, their_splits
            )
        else:
            splits_not_compared = (
                "WeChat Pay in direct mode shares no profits: the platform fee and "
                "commissions are not split at the provider"
            )
    elif provider == SANDBOX:
        if payments.sandbox is None:
            raise ProviderRecordsUnavailable(
                "the sandbox provider is not enabled here (WESHOP_SANDBOX_PAYMENTS is false)"
            )
        theirs = await sandbox_records(payments.sandbox, day)
        splits_not_compared = (
            "the sandbox provider has no profit sharing: it keeps no split records"
        )
    else:
        raise ProviderRecordsUnavailable(f"no payment provider named {provider!r}")
    ours = await our_side(session, provider, day, theirs)
    return Reconciliation(
        len(theirs),
        len(ours.records),
        compare(theirs, ours) + compare_splits(their_splits, our_splits),
        provider_splits=len(their_splits),
        ledger_splits=len(our_splits),
        splits_not_compared=splits_not_compared,
    )
