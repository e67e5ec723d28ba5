"""A promoter's earnings: their commissions by state, the lines they earn on (their own
rows only, nothing of the buyer), the payout account, and the monthly statement with the
tax withheld (:mod:`weshop.affiliates.tax`)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.models import Commission, CommissionStatus, Promoter
from weshop.affiliates.tax import labour_remuneration
from weshop.core.clock import CHINA_TZ
from weshop.core.errors import InvalidInput
from weshop.core.pagination import paginate
from weshop.core.spreadsheets import safe_cell
from weshop.orders.models import Order, OrderLine

C = CommissionStatus
# An openid as WeChat issues them: 28 characters of letters, digits, '-' and '_'.
OPENID = re.compile(r"[A-Za-z0-9_-]{28}")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Totals:
    estimated_fen: int
    frozen_fen: int
    settled_fen: int
    clawed_back_fen: int
    # Claw-backs repaid: kept by the store out of later settlements.
    carried_fen: int
    paid_out_fen: int
    # Settled but not split: the promoter had no payout account then; the store holds it
    # until its next settlements send it (or net it against claw-backs).
    owed_fen: int


@dataclass(frozen=True)
class EarningLine:
    commission: Commission
    order_no: str
    title: str

    # The page's cursor is the commission's.
    @property
    def id(self) -> int:
        return self.commission.id

    @property
    def created_at(self) -> datetime:
        return self.commission.created_at


async def set_payout_account(session: AsyncSession, promoter: Promoter, openid: str) -> Promoter:
    """Where the provider sends the promoter's commission from their next settlement on."""
    if not OPENID.fullmatch(openid):
        raise InvalidInput(
            "the payout account is a WeChat openid: 28 letters, digits, '-' or '_'",
            code="invalid_openid",
        )
    promoter.payout_openid = openid
    await session.flush()
    return promoter


async def totals(session: AsyncSession, promoter_id: int) -> Totals:
    def sum_of(column, *states: C):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((Commission.status.in_(states), column), else_=0)), 0)

    row = (
        await session.execute(
            select(
                sum_of(Commission.amount_fen, C.ESTIMATED),
                sum_of(Commission.amount_fen, C.FROZEN),
                sum_of(Commission.settled_fen, C.SETTLED),
                sum_of(Commission.clawed_back_fen, C.SETTLED),
                sum_of(Commission.carried_fen, C.SETTLED),
                sum_of(Commission.paid_out_fen, C.SETTLED),
                sum_of(Commission.settled_fen, C.SETTLED)
                - sum_of(Commission.paid_out_fen + Commission.carried_fen, C.SETTLED),
            ).where(Commission.promoter_id == promoter_id)
        )
    ).one()
    return Totals(*(int(value) for value in row))


def _lines_query(promoter_id: int) -> Select:
    return (
        select(Commission, Order.order_no, OrderLine.title)
        .join(Order, Order.id == Commission.order_id)
        .join(OrderLine, OrderLine.id == Commission.order_line_id)
        .where(Commission.promoter_id == promoter_id)
    )


async def lines_page(
    session: AsyncSession, promoter_id: int, cursor: str | None, limit: int
) -> list[EarningLine]:
    """The promoter's commission lines, newest first (one more than ``limit``)."""
    rows = await session.execute(paginate(_lines_query(promoter_id), Commission, cursor, limit))
    return [EarningLine(commission, order_no, title) for commission, order_no, title in rows]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month ``YYYY-MM`` in China time, as [start, end)."""
    found = MONTH.fullmatch(month)
    if found is None or not 2000 <= int(found[1]) <= 9998:
        raise InvalidInput("the month is YYYY-MM, e.g. 2026-12", code="invalid_month")
    year, number = int(found[1]), int(found[2])
    start = datetime(year, number, 1, tzinfo=CHINA_TZ)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CHINA_TZ)
    return start, end


STATEMENT_COLUMNS = [
    "settled_at",
    "order_no",
    "product",
    "level",
    "rate_bps",
    "base_fen",
    "settled_fen",
    "clawed_back_fen",
    "income_fen",
]


async def statement_csv(session: AsyncSession, promoter_id: int, month: str) -> str:
    """The commissions settled in ``month`` (China time), one a row, then the month's
    income (settled less clawed back so far) and the tax withheld on it as one payment of
    labour remuneration. Amounts in fen."""
    start, end = month_bounds(month)
    rows = await session.execute(
        _lines_query(promoter_id)
        .where(
            Commission.status == C.SETTLED,
            Commission.settled_at >= start,
            Commission.settled_at < end,
        )
        .order_by(Commission.settled_at, Commission.id)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    income = 0
    for commission, order_no, title in rows:
        assert commission.settled_at is not None
        earned = commission.settled_fen - commission.clawed_back_fen
        income += earned
        writer.writerow(
            [
                commission.settled_at.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
                safe_cell(order_no),
                safe_cell(title),
                commission.level,
                commission.rate_bps,
                commission.base_fen,
                commission.settled_fen,
                commission.clawed_back_fen,
                earned,
            ]
        )
    tax = labour_remuneration(max(0, income))
    writer.writerow([])
    for label, value in (
        ("income_fen", tax.income_fen),
        ("deduction_fen", tax.deduction_fen),
        ("taxable_fen", tax.taxable_fen),
        ("rate_percent", tax.rate_percent),
        ("quick_deduction_fen", tax.quick_deduction_fen),
        ("tax_withheld_fen", tax.tax_fen),
        ("net_fen", tax.net_fen),
    ):
        writer.writerow([label, value])
    return out.getvalue()
