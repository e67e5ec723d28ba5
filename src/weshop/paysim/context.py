"""What every part of the simulator works with: its store, its platform identity, its clock,
its identifiers, its callback queue and its timing.

The parts (trading, refunds, profit sharing, subsidies, onboarding, bills) take this object,
never the ``PaySim`` that assembles them, so the simulator's modules point one way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from weshop.core.clock import utcnow
from weshop.payments.wechatpay.transactions import BEIJING
from weshop.paysim.identity import PlatformIdentity
from weshop.paysim.notifier import HttpSender, Notifier, Sender
from weshop.paysim.payers import PayerDirectory
from weshop.paysim.store import Row, Store

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


class SimContext:
    """The simulator's state and services, shared by its parts; ``PaySim`` adds the parts."""

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
        payers: PayerDirectory | None = None,
    ) -> None:
        self.store = store
        # Which openids are whose (see ``payers``); None: any openid pays.
        self.payers = payers
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.ids = Ids(clock)
        self.refund_delay = refund_delay
        self.review_delay = review_delay
        self.notifier = Notifier(store, platform, clock, sender or HttpSender())

    def now(self) -> datetime:
        return self.clock()

    def merchant(self, mchid: str) -> Row | None:
        return self.store.one("SELECT * FROM merchants WHERE mchid = ?", (mchid,))

    def appid_bound(self, mchid: str, appid: str) -> bool:
        """Whether orders of ``mchid`` may be placed under ``appid``: its own appid, or one
        bound to it."""
        merchant = self.merchant(mchid)
        if merchant is None or not appid:
            return False
        if merchant["appid"] == appid:
            return True
        bound = self.store.one("SELECT 1 FROM appids WHERE mchid = ? AND appid = ?", (mchid, appid))
        return bound is not None
