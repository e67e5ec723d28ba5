"""The sandbox provider's combined payments: one payment, at one cashier page, of several
transactions (the orders of a checkout with several stores). Paying pays every part and
sends one signed callback listing them (to the notify URL's ``/combined``); closing closes
every part. Each part stays an ordinary sandbox transaction, refunded on its own."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from weshop.core.clock import utcnow
from weshop.core.errors import Conflict, NotFound
from weshop.payments.sandbox.gateway import SandboxGateway
from weshop.payments.sandbox.models import SandboxCombined, SandboxDelivery, SandboxTransaction


@dataclass(frozen=True)
class Part:
    out_trade_no: str
    amount_fen: int
    description: str


class SandboxCombinedPayments:
    def __init__(self, gateway: SandboxGateway) -> None:
        self.gateway = gateway

    @property
    def notify_url(self) -> str:
        return self.gateway.notify_url.rstrip("/") + "/combined"

    async def open(
        self,
        *,
        combine_out_trade_no: str,
        parts: Sequence[Part],
        description: str,
        expires_at: datetime,
    ) -> SandboxCombined:
        """Idempotent by ``combine_out_trade_no``: the same parts again answer the same
        payment; other parts under the same number are refused."""
        numbers = " ".join(part.out_trade_no for part in parts)
        existing = await self.combined(combine_out_trade_no, missing_ok=True)
        if existing is not None:
            if existing.out_trade_nos != numbers:
                raise Conflict(
                    "combine_out_trade_no reused with other parts", code="provider_conflict"
                )
            return existing
        for part in parts:
            await self.gateway.open_transaction(
                out_trade_no=part.out_trade_no,
                amount_fen=part.amount_fen,
                description=part.description,
                expires_at=expires_at,
            )
        async with self.gateway.db.transaction() as session:
            combined = SandboxCombined(
                combine_out_trade_no=combine_out_trade_no,
                out_trade_nos=numbers,
                description=description[:200],
                status="open",
                expires_at=expires_at,
                created_at=utcnow(),
            )
            session.add(combined)
            return combined

    async def combined(
        self, combine_out_trade_no: str, *, missing_ok: bool = False
    ) -> SandboxCombined | None:
        await self.gateway.ready()
        async with self.gateway.db.session(write=False) as session:
            found = await session.scalar(
                select(SandboxCombined).where(
                    SandboxCombined.combine_out_trade_no == combine_out_trade_no
                )
            )
        if found is None and not missing_ok:
            raise NotFound("no such sandbox payment")
        return found

    async def parts(self, combined: SandboxCombined) -> list[SandboxTransaction]:
        return [await self.gateway.transaction(number) for number in combined.out_trade_nos.split()]

    async def pay(self, combine_out_trade_no: str, now: datetime | None = None) -> SandboxCombined:
        """The payer confirms once: every part is paid and one callback is queued."""
        now = now or utcnow()
        await self.gateway.ready()
        async with self.gateway.db.transaction() as session:
            combined = await session.scalar(
                select(SandboxCombined).where(
                    SandboxCombined.combine_out_trade_no == combine_out_trade_no
                )
            )
            if combined is None:
                raise NotFound("no such sandbox payment")
            if combined.status == "paid":
                return combined
            if combined.status != "open" or now >= combined.expires_at:
                raise Conflict("this payment is closed or has expired", code="payment_closed")
            numbers = combined.out_trade_nos.split()
            parts = list(
                await session.scalars(
                    select(SandboxTransaction).where(SandboxTransaction.out_trade_no.in_(numbers))
                )
            )
            if len(parts) != len(numbers) or any(part.status != "open" for part in parts):
                raise Conflict("this payment is closed or has expired", code="payment_closed")
            by_number = {part.out_trade_no: part for part in parts}
            for part in parts:
                part.status = "paid"
                part.paid_at = now
            combined.status = "paid"
            combined.paid_at = now
            notification_id = f"N{secrets.token_hex(12).upper()}"
            body = json.dumps(
                {
                    "id": notification_id,
                    "event_type": "TRANSACTION.SUCCESS",
                    "combine_out_trade_no": combine_out_trade_no,
                    "paid_at": now.isoformat(),
                    "sub_orders": [
                        {
                            "out_trade_no": number,
                            "transaction_id": by_number[number].transaction_id,
                            "amount_fen": by_number[number].amount_fen,
                        }
                        for number in numbers
                    ],
                },
                separators=(",", ":"),
            )
            session.add(
                SandboxDelivery(
                    notification_id=notification_id,
                    url=self.notify_url,
                    body=body,
                    next_attempt_at=now,
                )
            )
            return combined

    async def close(self, combine_out_trade_no: str) -> None:
        combined = await self.combined(combine_out_trade_no, missing_ok=True)
        if combined is None:
            return
        async with self.gateway.db.transaction() as session:
            closed = await session.execute(
                update(SandboxCombined)
                .where(SandboxCombined.id == combined.id, SandboxCombined.status == "open")
                .values(status="closed")
            )
            if closed.rowcount == 1:
                await session.execute(
                    update(SandboxTransaction)
                    .where(
                        SandboxTransaction.out_trade_no.in_(combined.out_trade_nos.split()),
                        SandboxTransaction.status == "open",
                    )
                    .values(status="closed")
                )
