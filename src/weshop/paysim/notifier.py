"""Callbacks to the merchant: encrypted, signed, and sent again until acknowledged.

The resource is encrypted with the merchant's APIv3key (AEAD_AES_256_GCM); every attempt is
signed afresh with the platform key. A callback counts as acknowledged on HTTP 200 or 204;
otherwise it is tried again after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h,
3h, 6h, 6h (WeChat Pay's schedule), then given up. Clock and sender are injectable so that
tests drive the schedule without sleeping.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import structlog

from weshop.payments.wechatpay import crypto
from weshop.payments.wechatpay.transactions import rfc3339
from weshop.paysim.identity import PlatformIdentity
from weshop.paysim.security import signature_headers
from weshop.paysim.store import Store

log = structlog.get_logger(__name__)

RETRY_SCHEDULE_SECONDS = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
)  # fmt: skip
ACKNOWLEDGED = frozenset({200, 204})
CALLBACK_TIMEOUT_SECONDS = 5.0  # WeChat Pay waits five seconds for an answer

Sender = Callable[[str, Mapping[str, str], bytes], Awaitable[int]]


class HttpSender:
    """Posts callbacks over HTTP; an ASGI transport delivers them in-process."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport

    async def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        async with httpx.AsyncClient(
            transport=self._transport, timeout=CALLBACK_TIMEOUT_SECONDS
        ) as client:
            response = await client.post(url, content=body, headers=dict(headers))
        return response.status_code


@dataclass(frozen=True)
class Attempt:
    attempted_at: float
    status: int


class Notifier:
    def __init__(
        self,
        store: Store,
        platform: PlatformIdentity,
        clock: Callable[[], datetime],
        sender: Sender,
    ) -> None:
        self.store = store
        self.platform = platform
        self.clock = clock
        self.sender = sender

    def enqueue(
        self,
        *,
        mchid: str,
        url: str,
        event_type: str,
        summary: str,
        original_type: str,
        resource: dict[str, Any],
    ) -> str:
        """Queue a callback (in the caller's transaction); it is due at once."""
        merchant = self.store.one("SELECT apiv3_key FROM merchants WHERE mchid = ?", (mchid,))
        if merchant is None:
            raise LookupError(f"no merchant {mchid}")
        now = self.clock()
        notification_id = f"EV-{secrets.token_hex(10).upper()}"
        plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = crypto.encrypt_resource(
            str(merchant["apiv3_key"]).encode(), plaintext, original_type
        )
        envelope = {
            "id": notification_id,
            "create_time": rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {**sealed, "original_type": original_type},
        }
        self.store.insert(
            "notifications",
            {
                "id": notification_id,
                "mchid": mchid,
                "url": url,
                "event_type": event_type,
                "body": json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode(),
                "next_attempt_at": now.timestamp(),
                "created_at": now.timestamp(),
            },
        )
        return notification_id

    async def deliver_due(self) -> int:
        """Send every callback that is due; returns how many were acknowledged."""
        now = self.clock()
        due = self.store.all(
            "SELECT * FROM notifications WHERE next_attempt_at <= ? ORDER BY created_at, id",
            (now.timestamp(),),
        )
        acknowledged = 0
        for notification in due:
            status = await self._attempt(notification["url"], bytes(notification["body"]), now)
            attempts = int(notification["attempts"]) + 1
            ok = status in ACKNOWLEDGED
            if ok:
                next_attempt: float | None = None
                acknowledged += 1
            elif attempts > len(RETRY_SCHEDULE_SECONDS):
                next_attempt = None
                log.error("paysim.callback_given_up", notification=notification["id"])
            else:
                next_attempt = now.timestamp() + RETRY_SCHEDULE_SECONDS[attempts - 1]
            with self.store.transaction():
                self.store.run(
                    "UPDATE notifications SET attempts = ?, next_attempt_at = ?, "
                    "acknowledged_at = ? WHERE id = ?",
                    (attempts, next_attempt, now.timestamp() if ok else None, notification["id"]),
                )
                self.store.insert(
                    "notification_attempts",
                    {
                        "notification_id": notification["id"],
                        "attempted_at": now.timestamp(),
                        "status": status,
                    },
                )
        return acknowledged

    def attempts(self, notification_id: str) -> list[Attempt]:
        rows = self.store.all(
            "SELECT attempted_at, status FROM notification_attempts "
            "WHERE notification_id = ? ORDER BY attempted_at",
            (notification_id,),
        )
        return [Attempt(row["attempted_at"], row["status"]) for row in rows]

    async def _attempt(self, url: str, body: bytes, now: datetime) -> int:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Mozilla/4.0",
            **signature_headers(self.platform, now, body),
        }
        try:
            return await self.sender(url, headers, body)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("paysim.callback_failed", url=url, error=type(exc).__name__)
            return 0
