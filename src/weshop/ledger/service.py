"""Posting an order's money events: payment, refund, settlement, reversal.

After a payment or a refund the order's platform fee and platform subsidy are moved to what
:mod:`weshop.ledger.targets` says they come to, given everything paid and refunded by then:
the fee is never charged on refunded money, and a refund after settlement takes the fee
back from the platform and the money from the store's available funds.

| event      | postings (per part: line or shipping)                                    |
|------------|--------------------------------------------------------------------------|
| payment    | provider clearing -> store frozen; store frozen -> store fee held (fee);  |
|            | platform subsidy -> store subsidy due (platform-funded discounts)         |
| refund     | store frozen (available once settled) -> shopper refunds; fee and subsidy |
|            | moved back to what the kept money earns                                   |
| settlement | store frozen -> each promoter's commission (or commission owed, held by  |
|            | the store, without a payout account); commission owed from earlier        |
|            | settlements -> claw-backs owed (netted), then -> the promoter's           |
|            | commission (paid, now they have a payout account); store fee held ->      |
|            | platform fee; store frozen and subsidy due -> available                   |
| refund     | once settled: commission claw-back -> store available (what the refund    |
| (settled)  | took of a commission the provider already sent; carried, not returned)    |
| reversal   | every posting of the reversed entry, negated                              |

Postings of one order are computed from its balances, so every event takes the order's row
lock first and no two interleave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, NotFound
from weshop.core.events import announce, ask
from weshop.core.money import bps_share
from weshop.core.outbox import emit
from weshop.ledger import fees, journal
from weshop.ledger import repository as repo
from weshop.ledger.announcements import (
    AftersalesUnderWay,
    CommissionDue,
    CommissionPaid,
    CommissionsUnderReview,
    OrderClawBacks,
    OrderCommissions,
    OrderSettled,
    OwedCommissionPaid,
    PayoutAccounts,
)
from weshop.ledger.journal import Leg, Source
from weshop.ledger.models import (
    AccountKind,
    EntryKind,
    JournalEntry,
    LedgerAccount,
    OrderFeeTerms,
)
from weshop.ledger.settlement import (
    SETTLEMENT_WAIT_FOR_REFUNDS,
    schedule_settlement,
    schedule_settlement_retry,
)
from weshop.ledger.targets import OrderFacts, targets
from weshop.orders.models import Order, OrderLine, OrderStatus
from weshop.orders.parts import Part, order_payable, order_with_lines, split
from weshop.orders.service import aftersales_window_end
from weshop.payments.models import NO_PROVIDER, Payment, PaymentStatus, Refund, RefundStatus
from weshop.payments.provider_settlement import MAX_SPLIT_BPS, SETTLE_AT_PROVIDER

K = AccountKind


class Book:
    """An order's balances by (account kind, part), kept current as legs are added."""

    def __init__(self, balances: repo.Balances, *, settled: bool) -> None:
        self.balances: dict[tuple[AccountKind, Part], int] = defaultdict(int, balances)
        self.settled = settled

    def apply(self, legs: Iterable[Leg]) -> None:
        for leg in legs:
            self.balances[(leg.kind, leg.part)] += leg.amount_fen

    def by_part(self, *kinds: AccountKind, sign: int = 1) -> dict[Part, int]:
        found: dict[Part, int] = defaultdict(int)
        for (kind, part), amount in self.balances.items():
            if kind in kinds:
                found[part] += sign * amount
        return dict(found)

    @property
    def money_account(self) -> AccountKind:
        """Where the store's share of the order sits: frozen until settlement."""
        return K.STORE_AVAILABLE if self.settled else K.STORE_FROZEN


def order_facts(order: Order, lines: list[OrderLine], terms: OrderFeeTerms | None) -> OrderFacts:
    accepted = terms is not None
    return OrderFacts(
        payable=order_payable(order, lines),
        rates=fees.rates_of(terms) if accepted else None,
        subsidies={line.id: line.platform_funded_fen for line in lines if line.platform_funded_fen}
        if accepted
        else {},
        cancelled=order.status == OrderStatus.CANCELLED,
    )


async def _book(session: AsyncSession, order_id: int) -> Book:
    balances = await repo.order_balances(session, order_id)
    return Book(balances, settled=await repo.is_settled(session, order_id))


async def _order_book(session: AsyncSession, order_id: int) -> tuple[Order, OrderFacts, Book]:
    """The order, what the ledger knows of it, and its balances (lock the order first when
    posting)."""
    order, lines = await order_with_lines(session, order_id)
    facts = order_facts(order, lines, await session.get(OrderFeeTerms, order.id))
    return order, facts, await _book(session, order_id)


def rebalance(facts: OrderFacts, book: Book) -> list[Leg]:
    """Legs that bring the order's fee and subsidy to their targets (and apply them)."""
    goal = targets(
        facts, book.by_part(K.PROVIDER_CLEARING, sign=-1), book.by_part(K.SHOPPER_REFUNDS)
    )
    legs: list[Leg] = []
    fee_now = book.by_part(K.STORE_FEE_HELD, K.PLATFORM_FEE)
    fee_account = K.PLATFORM_FEE if book.settled else K.STORE_FEE_HELD
    for part in sorted(set(goal.fee) | set(fee_now), key=_part_order):
        delta = goal.fee.get(part, 0) - fee_now.get(part, 0)
        legs += [Leg(book.money_account, -delta, part), Leg(fee_account, delta, part)]
    subsidy_now = book.by_part(K.PLATFORM_SUBSIDY, sign=-1)
    subsidy_account = K.STORE_AVAILABLE if book.settled else K.STORE_SUBSIDY_DUE
    for part in sorted(set(goal.subsidy) | set(subsidy_now), key=_part_order):
        delta = goal.subsidy.get(part, 0) - subsidy_now.get(part, 0)
        legs += [Leg(K.PLATFORM_SUBSIDY, -delta, part), Leg(subsidy_account, delta, part)]
    legs = [leg for leg in legs if leg.amount_fen]
    book.apply(legs)
    return legs


def _part_order(part: Part) -> int:
    return -1 if part is None else part


def _balance_order(item: tuple[tuple[AccountKind, Part], int]) -> tuple[str, int]:
    (kind, part), _ = item
    return kind, _part_order(part)


async def record_payment(
    session: AsyncSession, payment: Payment, *, accepted: bool, now: datetime | None = None
) -> JournalEntry | None:
    """A payment succeeded: the money enters the store's frozen funds through the provider.

    ``accepted``: the order took it as its payment; then its fee rates are fixed and the fee
    and the platform subsidy are recorded. A payment the order no longer awaited is posted
    as unexpected and earns nothing: it goes back in full.
    """
    # Locked and loaded in one statement; the order then stays in the session's identity map.
    order = await repo.lock_order(session, payment.order_id)
    order, lines = await order_with_lines(session, order.id)
    terms = (
        await fees.fee_terms(session, order, lines)
        if accepted
        else await session.get(OrderFeeTerms, order.id)
    )
    facts = order_facts(order, lines, terms)
    book = await _book(session, order.id)
    legs: list[Leg] = []
    for part, amount in split(payment.amount_fen, facts.payable).items():
        legs += [Leg(K.PROVIDER_CLEARING, -amount, part), Leg(K.STORE_FROZEN, amount, part)]
    book.apply(legs)
    if accepted:
        legs += rebalance(facts, book)
    source = Source(
        kind=EntryKind.PAYMENT if accepted else EntryKind.UNEXPECTED_PAYMENT,
        key=f"payment:{payment.id}",
        store_id=order.store_id,
        order_id=order.id,
        payment_id=payment.id,
        memo=f"payment {payment.out_trade_no} of order {order.order_no}"
        if payment.provider != NO_PROVIDER
        else f"order {order.order_no} cost 0 fen: paid without a provider, no money moved",
    )
    return await journal.post(session, source, legs, now)


async def record_refund(
    session: AsyncSession, refund: Refund, now: datetime | None = None
) -> JournalEntry | None:
    """A refund succeeded: each part's amount goes back to the shopper, from frozen funds
    (or, once settled, from the store's available funds); the fee follows the kept money."""
    await lock_row(session, Order, refund.order_id)
    order, facts, book = await _order_book(session, refund.order_id)
    parts = await repo.refund_parts(session, refund.id)
    legs: list[Leg] = []
    for part, amount in parts.items():
        legs += [Leg(book.money_account, -amount, part), Leg(K.SHOPPER_REFUNDS, amount, part)]
    book.apply(legs)
    legs += rebalance(facts, book)
    if book.settled:
        legs += await _claw_back(session, order.id)
    source = Source(
        kind=EntryKind.REFUND,
        key=f"refund:{refund.id}",
        store_id=order.store_id,
        order_id=order.id,
        payment_id=refund.payment_id,
        refund_id=refund.id,
        memo=f"refund {refund.out_refund_no} of order {order.order_no}",
    )
    return await journal.post(session, source, legs, now)


async def record_free_order_cancelled(
    session: AsyncSession, order_id: int, now: datetime | None = None
) -> JournalEntry | None:
    """A paid order that cost nothing was cancelled: no refund gives money back, but the
    platform no longer owes the subsidy of its platform-funded discounts. None when there was
    nothing to undo (or it stands undone already)."""
    await lock_row(session, Order, order_id)
    order, facts, book = await _order_book(session, order_id)
    legs = rebalance(facts, book)
    if not legs:
        return None
    source = Source(
        kind=EntryKind.CANCELLATION,
        key=f"cancellation:{order.id}",
        store_id=order.store_id,
        order_id=order.id,
        memo=f"order {order.order_no} cost 0 fen and was cancelled: its subsidy is undone",
    )
    return await journal.post(session, source, legs, now)


# At settlement each frozen kind of money moves to where it ends.
_SETTLES_TO = {
    K.STORE_FROZEN: K.STORE_AVAILABLE,
    K.STORE_FEE_HELD: K.PLATFORM_FEE,
    K.STORE_SUBSIDY_DUE: K.STORE_AVAILABLE,
}


async def settle_order(
    session: AsyncSession, order_id: int, now: datetime | None = None
) -> JournalEntry | None:
    """The after-sales window closed: the fee goes to the platform, the rest (with any
    subsidy) to the store's available funds. Idempotent; an order refunded in full settles
    to zero (an entry without postings). While a refund of the order is still with the
    provider the settlement waits for it: its money has left the frozen funds there, not
    yet here, and the fee must be on what the shopper keeps. While a commission of the order
    is held for the platform's review, it waits for the decision; while an after-sales
    request of the order is under way, it waits for its end."""
    now = now or utcnow()
    await lock_row(session, Order, order_id)
    order = await session.get(Order, order_id)
    if order is None or order.status != OrderStatus.COMPLETED:
        return None
    book = await _book(session, order_id)
    if book.settled:
        return None
    if await repo.has_pending_refunds(session, order_id):
        schedule_settlement_retry(session, order, now + SETTLEMENT_WAIT_FOR_REFUNDS)
        return None
    if await ask(session, CommissionsUnderReview(order.id)):
        return None  # the platform's decision on the hold asks for the settlement again
    if await ask(session, AftersalesUnderWay(order.id)):
        return None  # the last after-sales request to finish asks for the settlement again
    source = Source(
        kind=EntryKind.SETTLEMENT,
        key=f"settlement:{order.id}",
        store_id=order.store_id,
        order_id=order.id,
        memo=f"settlement of order {order.order_no}: after-sales window closed",
    )
    dues = await ask(session, OrderCommissions(order.id))
    claw_backs, owed = await _promoter_debts(session, order.store_id, dues)
    # The provider splits an order once: a settlement posted again after a reversal nets and
    # pays the owed commission the first one did, as it did (the promoters heard of it then).
    first_settlement = (await repo.source_entries(session, source.key))[0] == 0
    if first_settlement:
        legs, netted = _net_owed_against_claw_backs(claw_backs, owed)
    else:
        legs, netted = await _owed_legs_settled_before(session, order.id, claw_backs), {}
    commission_legs, paid = _commission_legs(dues, claw_backs)
    legs += commission_legs
    book.apply(legs)
    openids = (
        await ask(session, PayoutAccounts(frozenset(owed)))
        if first_settlement and any(owed.values())
        else {}
    )
    payout_legs, paid_owed = _owed_payouts(book, owed, openids)
    legs += payout_legs
    book.apply(payout_legs)
    for (kind, part), amount in sorted(book.balances.items(), key=_balance_order):
        if kind in _SETTLES_TO:
            legs += [Leg(kind, -amount, part), Leg(_SETTLES_TO[kind], amount, part)]
    entry = await journal.post(session, source, legs, now)
    if entry is not None:
        owed_paid = tuple(
            OwedCommissionPaid(
                promoter, order.store_id, netted.get(promoter, 0), paid_owed.get(promoter, 0)
            )
            for promoter in sorted(set(netted) | set(paid_owed))
        )
        await announce(session, OrderSettled(order.id, now, tuple(paid), owed_paid))
        fee = sum(leg.amount_fen for leg in legs if leg.kind == K.PLATFORM_FEE)
        subsidy = -sum(leg.amount_fen for leg in legs if leg.kind == K.STORE_SUBSIDY_DUE)
        emit(
            session,
            SETTLE_AT_PROVIDER,
            {
                "order_id": order.id,
                "entry_id": entry.id,
                "platform_fee_fen": fee,
                "platform_subsidy_fen": subsidy,
                "commissions": _payouts(dues, paid, paid_owed, openids),
            },
            store_id=order.store_id,
            dedupe_key=f"{SETTLE_AT_PROVIDER}:{entry.id}",
        )
    return entry


def _commission_legs(
    dues: list[CommissionDue], claw_backs: dict[int, int]
) -> tuple[list[Leg], list[CommissionPaid]]:
    """Each commission cut from the store's frozen money of its line: to the promoter's
    account when the provider sends it, less what the promoter owes the store back from
    earlier claw-backs (carried: it stays with the store; ``claw_backs`` is brought down by
    it); without a payout account, owed by the store."""
    legs: list[Leg] = []
    paid: list[CommissionPaid] = []
    for due in dues:
        line, promoter = due.order_line_id, due.promoter_id
        legs.append(Leg(K.STORE_FROZEN, -due.amount_fen, line))
        if due.payout_openid is None:
            legs.append(Leg(K.COMMISSION_OWED, due.amount_fen, line, promoter))
            paid.append(CommissionPaid(promoter, line, 0, 0))
            continue
        carried = min(claw_backs.get(promoter, 0), due.amount_fen)
        claw_backs[promoter] = claw_backs.get(promoter, 0) - carried
        legs += [
            Leg(K.PROMOTER_COMMISSION, due.amount_fen - carried, line, promoter),
            Leg(K.COMMISSION_CLAWBACK, carried, line, promoter),
        ]
        paid.append(CommissionPaid(promoter, line, due.amount_fen - carried, carried))
    return legs, paid


async def _promoter_debts(
    session: AsyncSession, store_id: int, dues: list[CommissionDue]
) -> tuple[dict[int, int], dict[int, int]]:
    """Between the store and its promoters: what each paid-out promoter of ``dues`` (and each
    promoter the store owes) owes the store back from claw-backs, and what the store owes
    each promoter from settlements without a payout account. Their accounts are held until
    the transaction ends, locked in account order, so two settlements never carry the same
    claw-back nor pay the same owed commission."""
    owed_to = await repo.promoters_owed(session, store_id)
    paid_out = {due.promoter_id for due in dues if due.payout_openid}
    claw_back_accounts = await repo.promoter_accounts(
        session, K.COMMISSION_CLAWBACK, store_id, paid_out | owed_to
    )
    owed_accounts = await repo.promoter_accounts(session, K.COMMISSION_OWED, store_id, owed_to)
    for account_id in sorted({*claw_back_accounts.values(), *owed_accounts.values()}):
        await lock_row(session, LedgerAccount, account_id)
    claw_backs = {
        promoter: max(0, -await repo.account_balance(session, account_id))
        for promoter, account_id in claw_back_accounts.items()
    }
    owed = {
        promoter: max(0, await repo.account_balance(session, account_id))
        for promoter, account_id in owed_accounts.items()
    }
    return claw_backs, owed


def _net_owed_against_claw_backs(
    claw_backs: dict[int, int], owed: dict[int, int]
) -> tuple[list[Leg], dict[int, int]]:
    """Where the store owes a promoter commission and the promoter owes the store claw-backs,
    the smaller cancels out of both (no money moves); both dicts are brought down by it."""
    legs: list[Leg] = []
    netted: dict[int, int] = {}
    for promoter in sorted(owed):
        amount = min(owed[promoter], claw_backs.get(promoter, 0))
        if amount:
            owed[promoter] -= amount
            claw_backs[promoter] -= amount
            netted[promoter] = amount
            legs += [
                Leg(K.COMMISSION_OWED, -amount, None, promoter),
                Leg(K.COMMISSION_CLAWBACK, amount, None, promoter),
            ]
    return legs, netted


async def _owed_legs_settled_before(
    session: AsyncSession, order_id: int, claw_backs: dict[int, int]
) -> list[Leg]:
    """The legs by which the order's last (reversed) settlement netted or paid owed
    commission, as they were: each takes from ``commission_owed`` and is followed by its
    other side (a claw-back netted: ``claw_backs`` is brought down by it; or the promoter's
    commission)."""
    entry_id = await repo.last_settlement_entry(session, order_id)
    if entry_id is None:
        return []
    postings = (await repo.postings_with_kinds(session, [entry_id])).get(entry_id, [])
    promoters = await repo.account_promoters(
        session, {posting.account_id for posting, _ in postings}
    )
    legs: list[Leg] = []
    for (posting, kind), (other, other_kind) in pairwise(postings):
        if kind != K.COMMISSION_OWED or posting.amount_fen >= 0:
            continue
        promoter = promoters[posting.account_id]
        legs += [
            Leg(kind, posting.amount_fen, posting.order_line_id, promoter),
            Leg(other_kind, other.amount_fen, other.order_line_id, promoters[other.account_id]),
        ]
        if other_kind == K.COMMISSION_CLAWBACK and promoter is not None:
            claw_backs[promoter] = claw_backs.get(promoter, 0) - other.amount_fen
    return legs


def _owed_payouts(
    book: Book, owed: dict[int, int], openids: dict[int, str]
) -> tuple[list[Leg], dict[int, int]]:
    """The commission the store owes promoters who now have a payout account, sent by this
    order's split, within what the split can carry: the order's frozen store money left
    after its own commissions, and the provider's maximum split ratio of the payment less
    the fee and commissions split already (the rest waits for the store's next settlement).

    Booked on this order, as a carried claw-back is: from its ``commission_owed`` (negative
    here, it repays the earlier orders' positive balances) to ``promoter_commission``. Both
    are commission, so the order's equation holds and the store keeps what the ledger says;
    at the provider this order's split is larger by as much, and the earlier orders'
    releases were (they released the owed money to the store)."""
    room = {
        part: amount
        for (kind, part), amount in book.balances.items()
        if kind == K.STORE_FROZEN and amount > 0
    }
    payment = sum(book.by_part(K.PROVIDER_CLEARING, sign=-1).values())
    split = sum(book.by_part(K.STORE_FEE_HELD, K.PROMOTER_COMMISSION).values())
    ratio_room = max(0, bps_share(max(payment, 0), MAX_SPLIT_BPS) - split)
    legs: list[Leg] = []
    paid: dict[int, int] = {}
    for promoter in sorted(owed):
        if promoter not in openids:
            continue
        left = min(owed[promoter], ratio_room)
        ratio_room -= left
        for part in sorted(room, key=_part_order):
            amount = min(left, room[part])
            if amount:
                room[part] -= amount
                left -= amount
                paid[promoter] = paid.get(promoter, 0) + amount
                legs += [
                    Leg(K.COMMISSION_OWED, -amount, part, promoter),
                    Leg(K.PROMOTER_COMMISSION, amount, part, promoter),
                ]
        ratio_room += left  # what the order's money could not carry
    return legs, paid


def _payouts(
    dues: list[CommissionDue],
    paid: list[CommissionPaid],
    paid_owed: dict[int, int],
    openids: dict[int, str],
) -> list[dict[str, int | str]]:
    """What the provider splits to each promoter's payout account, one receiver each: the
    order's commissions and the owed commission it pays."""
    by_openid: dict[str, int] = defaultdict(int)
    for due, payout in zip(dues, paid, strict=True):
        if due.payout_openid and payout.paid_out_fen:
            by_openid[due.payout_openid] += payout.paid_out_fen
    for promoter, amount in paid_owed.items():
        by_openid[openids[promoter]] += amount
    return [
        {"openid": openid, "amount_fen": amount} for openid, amount in sorted(by_openid.items())
    ]


async def _claw_back(session: AsyncSession, order_id: int) -> list[Leg]:
    """Legs that bring each commission's claw-back account to what refunds after settlement
    took of it: the store gets that much of its refund back from the promoter's side."""
    goal = {
        (item.promoter_id, item.order_line_id): -item.amount_fen
        for item in await ask(session, OrderClawBacks(order_id))
    }
    now = await repo.promoter_balances(session, order_id, K.COMMISSION_CLAWBACK)
    legs: list[Leg] = []
    for promoter_id, part in sorted(
        set(goal) | set(now), key=lambda key: (key[0], _part_order(key[1]))
    ):
        delta = goal.get((promoter_id, part), 0) - now.get((promoter_id, part), 0)
        if delta:
            legs += [
                Leg(K.COMMISSION_CLAWBACK, delta, part, promoter_id),
                Leg(K.STORE_AVAILABLE, -delta, part),
            ]
    return legs


async def platform_targets_after_refunds(
    session: AsyncSession, order_id: int, refunded: dict[Part, int]
) -> tuple[int, int]:
    """The order's platform fee and platform subsidy once ``refunded`` (by part) has gone
    back to the shopper: what the platform may keep of its split, and what the store may
    keep of the subsidy, at the provider."""
    _, facts, book = await _order_book(session, order_id)
    goal = targets(facts, book.by_part(K.PROVIDER_CLEARING, sign=-1), refunded)
    return sum(goal.fee.values()), sum(goal.subsidy.values())


async def reverse_entry(
    session: AsyncSession, entry_id: int, *, reason: str, actor_id: int, now: datetime | None = None
) -> tuple[JournalEntry, JournalEntry | None]:
    """Correct an entry: post its exact opposite, then post its source anew from the payment,
    refund or order as they stand now (a settlement made before its window closed is
    queued for when it does). Returns the reversal and the new entry, if one was posted."""
    now = now or utcnow()
    entry = await session.get(JournalEntry, entry_id)
    if entry is None:
        raise NotFound("no such journal entry")
    await lock_row(session, Order, entry.order_id)
    if entry.kind == EntryKind.REVERSAL:
        raise Conflict("a reversal cannot itself be reversed", code="not_reversible")
    if await repo.is_reversed(session, entry.id):
        raise Conflict("this entry was already reversed", code="already_reversed")
    postings = (await repo.postings_with_kinds(session, [entry.id])).get(entry.id, [])
    if sum(posting.amount_fen for posting, _ in postings):
        raise Conflict(
            "this entry does not balance: it needs investigating, not reversing",
            code="entry_unbalanced",
        )
    source = Source(
        kind=EntryKind.REVERSAL,
        key=f"reversal:{entry.id}",
        store_id=entry.store_id,
        order_id=entry.order_id,
        payment_id=entry.payment_id,
        refund_id=entry.refund_id,
        reverses_entry_id=entry.id,
        memo=f"reverses entry {entry.id} (operator {actor_id}): {reason}",
    )
    promoters = await repo.account_promoters(
        session, {posting.account_id for posting, _ in postings}
    )
    legs = [
        Leg(kind, -posting.amount_fen, posting.order_line_id, promoters[posting.account_id])
        for posting, kind in postings
    ]
    reversal = await journal.post(session, source, legs, now)
    if reversal is None:
        raise Conflict("this entry was already reversed", code="already_reversed")
    return reversal, await _repost(session, entry, reversal, now)


async def _repost(
    session: AsyncSession, entry: JournalEntry, reversal: JournalEntry, now: datetime
) -> JournalEntry | None:
    if entry.kind in (EntryKind.PAYMENT, EntryKind.UNEXPECTED_PAYMENT):
        payment = await session.get_one(Payment, entry.payment_id)
        if payment.status == PaymentStatus.SUCCEEDED:
            accepted = entry.kind == EntryKind.PAYMENT
            return await record_payment(session, payment, accepted=accepted, now=now)
    elif entry.kind == EntryKind.REFUND:
        refund = await session.get_one(Refund, entry.refund_id)
        if refund.status == RefundStatus.SUCCEEDED:
            return await record_refund(session, refund, now)
    elif entry.kind == EntryKind.SETTLEMENT:
        order = await session.get_one(Order, entry.order_id)
        if order.completed_at is None:
            return None
        if now >= await aftersales_window_end(session, order, order.completed_at):
            return await settle_order(session, order.id, now)
        # Settled before its window closed: it settles again when the window does.
        await schedule_settlement(
            session, order, order.completed_at, after=f"reversal:{reversal.id}"
        )
    return None
