"""The simulator: its parts put together over one context, and its background work.

``PaySim`` is what the HTTP layer, the cashier and the tests talk to. Its domain parts
(trading, refunds, profit sharing, onboarding, bills) are plain synchronous objects over the
context (``context.SimContext``), so tests can drive the money rules without HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import cached_property

import structlog

from weshop.paysim import funds
from weshop.paysim.applyments import Onboarding
from weshop.paysim.bills import Billing
from weshop.paysim.combine import CombineOrder, Combining
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError
from weshop.paysim.identity import PLATFORM_MCHID
from weshop.paysim.media import MediaUploads
from weshop.paysim.payers import is_payer_of
from weshop.paysim.profitsharing import DEFAULT_MAX_SPLIT_RATIO, MAX_SPLIT_RATIO, Sharing
from weshop.paysim.refunds import Refunding
from weshop.paysim.security import Caller
from weshop.paysim.subsidies import Subsidies
from weshop.paysim.transactions import DirectOrder, PartnerOrder, Trading

log = structlog.get_logger(__name__)


def _checked_ratio(max_split_ratio: int) -> int:
    if not 1 <= max_split_ratio <= MAX_SPLIT_RATIO:
        raise ValueError(f"a split ratio is 1-{MAX_SPLIT_RATIO} basis points")
    return max_split_ratio


class PaySim(SimContext):
    """The context with its parts; each part is made on first use and kept."""

    @cached_property
    def trading(self) -> Trading:
        return Trading(self)

    @cached_property
    def combining(self) -> Combining:
        return Combining(self, self.trading)

    @cached_property
    def refunding(self) -> Refunding:
        return Refunding(self, self.trading)

    @cached_property
    def sharing(self) -> Sharing:
        return Sharing(self, self.trading)

    @cached_property
    def subsidies(self) -> Subsidies:
        return Subsidies(self, self.trading)

    @cached_property
    def onboarding(self) -> Onboarding:
        return Onboarding(self)

    @cached_property
    def media(self) -> MediaUploads:
        return MediaUploads(self)

    @cached_property
    def billing(self) -> Billing:
        return Billing(self)

    def open_sub_merchant(self, name: str, max_split_ratio: int = DEFAULT_MAX_SPLIT_RATIO) -> str:
        """A sub-merchant of the platform, ready to be paid (its application approved at
        once): what the demo gives each store. ``max_split_ratio``: the most (in basis
        points) it authorised the platform to split from each of its transactions."""
        sub_mchid = self.ids.sub_mchid()
        with self.store.transaction():
            self.store.insert(
                "merchants",
                {
                    "mchid": sub_mchid,
                    "role": "sub",
                    "parent_mchid": PLATFORM_MCHID,
                    "name": name,
                    "max_split_ratio": _checked_ratio(max_split_ratio),
                },
            )
        return sub_mchid

    def bind_appid(self, mchid: str, appid: str) -> None:
        """Bind an app to a merchant (AppID账号关联): the platform's mini-program or another
        official account to the platform or a direct merchant, a store's own app to its
        sub-merchant (its ``sub_appid``). Binding again changes nothing."""
        with self.store.transaction():
            if self.merchant(mchid) is None:
                raise ValueError(f"no merchant {mchid}")
            self.store.run(
                "INSERT INTO appids (mchid, appid) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (mchid, appid),
            )

    async def place_order(
        self, caller: Caller, trade_type: str, order: DirectOrder | PartnerOrder
    ) -> dict[str, str]:
        """An order from the API: its apps checked, then its payer (asking the payer
        directory, which may be another server), then placed."""
        self.trading.check_apps(caller, order)
        if self.payers is not None:
            for appid, openid, mismatch in self.trading.payers(trade_type, order):
                if not await is_payer_of(self.payers, appid, openid):
                    raise ApiError(400, "PARAM_ERROR", mismatch, {"appid": appid})
        return self.trading.create(caller, trade_type, order)

    async def place_combined_order(
        self, caller: Caller, trade_type: str, order: CombineOrder
    ) -> dict[str, str]:
        """A combined order from the API: checked as ``place_order`` checks one order."""
        self.combining.check(caller, trade_type, order)
        if self.payers is not None:
            for appid, openid, mismatch in self.combining.payers(trade_type, order):
                if not await is_payer_of(self.payers, appid, openid):
                    raise ApiError(400, "PARAM_ERROR", mismatch, {"appid": appid})
        return self.combining.create(caller, trade_type, order)

    def set_max_split_ratio(self, mchid: str, max_split_ratio: int) -> None:
        """A sub-merchant changes the ratio it authorised (or a direct merchant has its own
        raised by WeChat Pay); splits requested from now on are held to it."""
        with self.store.transaction():
            changed = self.store.run(
                "UPDATE merchants SET max_split_ratio = ? WHERE mchid = ? AND role != 'platform'",
                (_checked_ratio(max_split_ratio), mchid),
            )
        if changed != 1:
            raise ValueError(f"no sub-merchant or direct merchant {mchid}")

    def deposit(self, mchid: str, amount_fen: int) -> None:
        """A merchant tops up its own balance (the platform's funds for subsidies)."""
        with self.store.transaction():
            funds.deposit(self.store, f"mch:{mchid}", amount_fen)

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
