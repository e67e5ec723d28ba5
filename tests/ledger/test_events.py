"""The ledger's subscribers: a payment's journal entry is posted in the payment's own
transaction, so the two commit or roll back together."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.payments.test_notifications import unpaid_order
from weshop.core.clock import utcnow
from weshop.ledger.models import JournalEntry
from weshop.payments.models import Payment, PaymentStatus
from weshop.payments.provider import PaymentNotice
from weshop.payments.service import apply_payment_notice


class Crash(Exception):
    pass


async def journal_entries(session, order_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(JournalEntry).where(JournalEntry.order_id == order_id)
    )


def paid_notice(payment: dict, paid_at: datetime) -> PaymentNotice:
    return PaymentNotice(
        notification_id="N-rollback",
        out_trade_no=payment["out_trade_no"],
        transaction_id="SBXROLLBACK",
        amount_fen=payment["amount_fen"],
        paid_at=paid_at,
        raw={},
    )


async def test_a_payment_and_its_journal_entry_roll_back_together(api, runtime) -> None:
    _, order, payment = await unpaid_order(api)
    with pytest.raises(Crash):
        async with runtime.db.transaction() as session:
            await apply_payment_notice(session, "sandbox", paid_notice(payment, utcnow()))
            row = await session.get_one(Payment, payment["id"])
            assert row.status == PaymentStatus.SUCCEEDED
            assert await journal_entries(session, order["id"]) == 1  # same transaction
            raise Crash
    async with runtime.db.session(write=False) as session:
        row = await session.get_one(Payment, payment["id"])
        assert row.status == PaymentStatus.PENDING
        assert await journal_entries(session, order["id"]) == 0

    async with runtime.db.transaction() as session:
        await apply_payment_notice(session, "sandbox", paid_notice(payment, utcnow()))
    async with runtime.db.session(write=False) as session:
        assert await journal_entries(session, order["id"]) == 1
