"""The simulator's core: its state, its clock, its identity and its background work.

``PaySim`` is what the HTTP layer, the cashier and the tests talk to. Its domain parts
(trading, refunds, profit sharing, onboarding, bills) are plain synchronous objects over the
store, so tests can drive the money rules without HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from weshop.core.clock import utcnow
from weshop.payments.wechatpay.transactions import BEIJING
from weshop.paysim import funds
from weshop.paysim.applyments import Onboarding
from weshop.paysim.bills import Billing
from weshop.paysim.identity import PLATFORM_MCHID, PlatformIdentity
from weshop.paysim.notifier import HttpSender, Notifier, Sender
from weshop.paysim.profitsharing import Sharing
from weshop.paysim.refunds import Refunding
from weshop.paysim.store import Row, Store
from weshop.paysim.subsidies import Subsidies
from weshop.paysim.transactions import Trading

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))


class Ids:
    """Identifiers shaped like WeChat Pay's."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def _day(self) -> str:
        return self._clock().astimezone(BEIJING).strftime("%Y%m%d")

    def transaction_id(self) -> str:
        return f"42000{digits(5)}{self._day()}{digits(10)}"

    def refund_id(self) -> str:
        return f"503{digits(5)}{self._day()}{digits(13)}"

    def prepay_id(self) -> str:
        return f"wx{self._clock().astimezone(BEIJING):%d%H%M%S}{secrets.token_hex(13)}"

    def token(self) -> str:
        return secrets.token_urlsafe(12)

    def sharing_order_id(self) -> str:
        return f"3008{digits(4)}{self._day()}{digits(12)}"

    def detail_id(self) -> str:
        return f"3601{digits(19)}"

    def openid(self) -> str:
        return "o" + secrets.token_urlsafe(21)[:27]

    def sub_mchid(self) -> str:
        return f"16{digits(8)}"

    def applyment_id(self) -> int:
        return int(f"2000002{digits(9)}")


class PaySim:
    def __init__(
        self,
        store: Store,
        platform: PlatformIdentity,
        *,
        base_url: str,
        clock: Clock = utcnow,
        sender: Sender | None = None,
        refund_delay: timedelta = timedelta(seconds=0),
        review_delay: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.ids = Ids(clock)
        self.refund_delay = refund_delay
        self.review_delay = review_delay
        self.notifier = Notifier(store, platform, clock, sender or HttpSender())
        self.trading = Trading(self)
        self.refunding = Refunding(self)
        self.sharing = Sharing(self)
        self.subsidies = Subsidies(self)
        self.onboarding = Onboarding(self)
        self.billing = Billing(self)

    def now(self) -> datetime:
        return self.clock()

    def open_sub_merchant(self, name: str) -> str:
        """A sub-merchant of the platform, ready to be paid (its application approved at
        once): what the demo gives each store."""
        sub_mchid = self.ids.sub_mchid()
        with self.store.transaction():
            self.store.insert(
                "merchants",
                {"mchid": sub_mchid, "role": "sub", "parent_mchid": PLATFORM_MCHID, "name": name},
            )
        return sub_mchid

    def deposit(self, mchid: str, amount_fen: int) -> None:
        """A merchant tops up its own balance (the platform's funds for subsidies)."""
        with self.store.transaction():
            funds.deposit(self.store, f"mch:{mchid}", amount_fen)

    def merchant(self, mchid: str) -> Row | None:
        return self.store.one("SELECT * FROM merchants WHERE mchid = ?", (mchid,))

    async def process_due(self) -> int:
        """Finish refunds whose time has come and send due callbacks; returns how many
        callbacks were acknowledged."""
        self.refunding.settle_due()
        return await self.notifier.deliver_due()

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.process_due()
            except Exception as exc:  # the loop must outlive one bad round
                log.error("paysim.background_error", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
