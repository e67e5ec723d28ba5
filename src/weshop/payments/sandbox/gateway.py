"""The provider's side of the sandbox: transactions, refunds and signed callbacks with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import delete, select, update

from weshop.core.clock import utcnow
from weshop.core.db import Database
from weshop.core.errors import Conflict, NotFound
from weshop.core.security import hmac_sign
from weshop.payments.sandbox.models import (
    SandboxBase,
    SandboxCombined,
    SandboxDelivery,
    SandboxRefund,
    SandboxTransaction,
)

log = structlog.get_logger(__name__)

# Seconds between callback attempts, as real providers do it (15s, 15s, 30s, 3m, ... 6h).
RETRY_SCHEDULE = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600]
SIGNATURE_HEADERS = ("Sandbox-Timestamp", "Sandbox-Nonce", "Sandbox-Signature")


def signed_message(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


class SandboxGateway:
    def __init__(self, database_url: str, signing_key: bytes, notify_url: str) -> None:
        self.db = Database(database_url)
        self.signing_key = signing_key
        self.notify_url = notify_url
        self._transport: httpx.AsyncBaseTransport | None = None
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: Path, signing_key: bytes, notify_url: str) -> SandboxGateway:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite+aiosqlite:///{data_dir / 'sandbox-pay.db'}", signing_key, notify_url)

    def attach(self, app: Any) -> None:
        """Deliver callbacks to this ASGI app in-process (the sandbox lives inside WeShop)."""
        self._transport = httpx.ASGITransport(app=app)

    async def ready(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                async with self.db.engine.begin() as conn:
                    await conn.run_sync(SandboxBase.metadata.create_all)
                self._schema_ready = True

    async def open_transaction(
        self, *, out_trade_no: str, amount_fen: int, description: str, expires_at: datetime
    ) -> SandboxTransaction:
        await self.ready()
        async with self.db.transaction() as session:
            existing = await session.scalar(
                select(SandboxTransaction).where(SandboxTransaction.out_trade_no == out_trade_no)
            )
            if existing is not None:
                if existing.amount_fen != amount_fen:
                    raise Conflict(
                        "out_trade_no reused with another amount", code="provider_conflict"
                    )
                return existing
            transaction = SandboxTransaction(
                out_trade_no=out_trade_no,
                transaction_id=f"SBX{secrets.token_hex(12).upper()}",
                amount_fen=amount_fen,
                description=description[:200],
                status="open",
                expires_at=expires_at,
                created_at=utcnow(),
            )
            session.add(transaction)
            return transaction

    async def transaction(self, out_trade_no: str) -> SandboxTransaction:
        await self.ready()
        async with self.db.session(write=False) as session:
            found = await session.scalar(
                select(SandboxTransaction).where(SandboxTransaction.out_trade_no == out_trade_no)
            )
        if found is None:
            raise NotFound("no such sandbox payment")
        return found

    async def pay(self, out_trade_no: str, now: datetime | None = None) -> SandboxTransaction:
        """The payer confirms in the cashier: money taken, a callback queued."""
        now = now or utcnow()
        await self.ready()
        async with self.db.transaction() as session:
            transaction = await session.scalar(
                select(SandboxTransaction).where(SandboxTransaction.out_trade_no == out_trade_no)
            )
            if transaction is None:
                raise NotFound("no such sandbox payment")
            if transaction.status == "paid":
                return transaction
            if transaction.status != "open" or now >= transaction.expires_at:
                raise Conflict("this payment is closed or has expired", code="payment_closed")
            transaction.status = "paid"
            transaction.paid_at = now
            notification_id = f"N{secrets.token_hex(12).upper()}"
            body = json.dumps(
                {
                    "id": notification_id,
                    "event_type": "TRANSACTION.SUCCESS",
                    "out_trade_no": transaction.out_trade_no,
                    "transaction_id": transaction.transaction_id,
                    "amount_fen": transaction.amount_fen,
                    "paid_at": now.isoformat(),
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
            return transaction

    async def close(self, out_trade_no: str) -> bool:
        await self.ready()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(SandboxTransaction)
                .where(
                    SandboxTransaction.out_trade_no == out_trade_no,
                    SandboxTransaction.status == "open",
                )
                .values(status="closed")
            )
        return result.rowcount == 1

    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, amount_fen: int
    ) -> SandboxRefund:
        """Idempotent by out_refund_no; never more than was paid."""
        await self.ready()
        async with self.db.transaction() as session:
            existing = await session.scalar(
                select(SandboxRefund).where(SandboxRefund.out_refund_no == out_refund_no)
            )
            if existing is not None:
                return existing
            transaction = await session.scalar(
                select(SandboxTransaction).where(SandboxTransaction.out_trade_no == out_trade_no)
            )
            if transaction is None or transaction.status != "paid":
                raise Conflict("only a paid payment can be refunded", code="refund_refused")
            if amount_fen <= 0 or transaction.refunded_fen + amount_fen > transaction.amount_fen:
                raise Conflict("refund exceeds what was paid", code="refund_refused")
            transaction.refunded_fen += amount_fen
            refund = SandboxRefund(
                out_refund_no=out_refund_no,
                refund_id=f"SBR{secrets.token_hex(12).upper()}",
                out_trade_no=out_trade_no,
                amount_fen=amount_fen,
                created_at=utcnow(),
            )
            session.add(refund)
            return refund

    async def refund_by_number(self, out_refund_no: str) -> SandboxRefund | None:
        await self.ready()
        async with self.db.transaction() as session:
            return await session.scalar(
                select(SandboxRefund).where(SandboxRefund.out_refund_no == out_refund_no)
            )

    def _headers(self, body: str, now: datetime) -> dict[str, str]:
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        signature = hmac_sign(self.signing_key, signed_message(timestamp, nonce, body))
        return {
            "Content-Type": "application/json",
            "Sandbox-Timestamp": timestamp,
            "Sandbox-Nonce": nonce,
            "Sandbox-Signature": signature,
        }

    async def _post(self, url: str, body: str, now: datetime) -> int:
        async with httpx.AsyncClient(transport=self._transport, timeout=10) as client:
            response = await client.post(url, content=body, headers=self._headers(body, utcnow()))
        return response.status_code

    async def deliver_due(self, now: datetime | None = None) -> int:
        """Send every callback that is due; returns how many WeShop acknowledged."""
        now = now or utcnow()
        await self.ready()
        async with self.db.session(write=False) as session:
            due = list(
                await session.scalars(
                    select(SandboxDelivery)
                    .where(SandboxDelivery.next_attempt_at <= now)
                    .order_by(SandboxDelivery.id)
                    .limit(100)
                )
            )
        delivered = 0
        for delivery in due:
            try:
                status = await self._post(delivery.url, delivery.body, now)
            except httpx.HTTPError as exc:
                log.warning(
                    "sandbox.delivery_failed",
                    notification=delivery.notification_id,
                    error=repr(exc),
                )
                status = 0
            ok = 200 <= status < 300
            attempts = delivery.attempts + 1
            if ok:
                next_attempt = None
                delivered += 1
            elif attempts > len(RETRY_SCHEDULE):
                next_attempt = None
                log.error("sandbox.delivery_gave_up", notification=delivery.notification_id)
            else:
                next_attempt = now + timedelta(seconds=RETRY_SCHEDULE[attempts - 1])
            async with self.db.transaction() as session:
                await session.execute(
                    update(SandboxDelivery)
                    .where(
                        SandboxDelivery.id == delivery.id,
                        SandboxDelivery.attempts == delivery.attempts,
                    )
                    .values(
                        attempts=attempts,
                        next_attempt_at=next_attempt,
                        delivered_at=now if ok else None,
                        last_status=status,
                    )
                )
        return delivered

    async def run_deliveries(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception as exc:  # the loop must outlive one bad round
                log.error("sandbox.delivery_loop_error", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

    async def reset(self) -> None:
        """Forget everything (tests)."""
        await self.ready()
        async with self.db.transaction() as session:
            for model in (SandboxDelivery, SandboxRefund, SandboxCombined, SandboxTransaction):
                await session.execute(delete(model))

    async def close_connections(self) -> None:
        await self.db.dispose()
