"""Settlement at the provider: when the ledger settles an order, the provider is told to
move the money it holds — the platform's subsidy in, its fee to the platform, the rest
released to the store (no 二清: instructions, never the platform's own hands)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.orders.models import Order
from weshop.payments import repository as repo
from weshop.payments.models import NO_PROVIDER
from weshop.payments.provider import PaymentProvider, PromoterPayout, SplitCapExceeded
from weshop.payments.sub_merchants import sub_mchid_for

log = structlog.get_logger(__name__)

# The ledger's command once it has settled an order (it only mirrors the money): instruct the
# provider to move it (the platform never pools it: no 二清).
SETTLE_AT_PROVIDER = "payments.settle_at_provider"
SETTLEMENT_ORDER_PREFIX = "S"

# WeChat Pay's default maximum split ratio (最大分账比例), in basis points of a payment: what
# the receivers of its split (platform fee, promoters) may get together.
MAX_SPLIT_BPS = 3000


def settlement_order_no(order: Order) -> str:
    """The provider's out-order-no of an order's settlement: one per order, so a repeat of
    the instruction is the same instruction."""
    return f"{SETTLEMENT_ORDER_PREFIX}{order.order_no}"


async def settle_at_provider(
    session: AsyncSession,
    order_id: int,
    platform_fee_fen: int,
    platform_subsidy_fen: int,
    providers: dict[str, PaymentProvider],
    promoter_payouts: Sequence[PromoterPayout] = (),
) -> None:
    """The ledger settled an order: instruct the provider to move the money it mirrors —
    the discounts the platform funded paid into the order, the fee to the platform, each
    promoter's commission to them, the rest released to the store (subsidy and profit
    sharing: no 二清)."""
    payment = await repo.succeeded_payment(session, order_id)
    order = await session.get_one(Order, order_id)
    if payment is not None and payment.provider == NO_PROVIDER:
        # Paid without a provider (it cost nothing): the provider holds nothing to move.
        payment.fee_split_fen = payment.subsidy_paid_fen = 0
        return
    if payment is None or payment.provider_transaction_id is None:
        log.error("payments.settlement_without_payment", order_id=order_id)
        return
    if order.refunded_fen >= payment.amount_fen:
        return  # all of it went back to the shopper: nothing is left to release
    if payment.fee_split_fen is not None:
        # Settled again after a reversal in the ledger: the provider released the money
        # once and cannot do it twice. Different figures need a person to correct them.
        if (payment.fee_split_fen, payment.subsidy_paid_fen) != (
            platform_fee_fen,
            platform_subsidy_fen,
        ):
            log.error("payments.resettlement_differs", order_id=order_id)
        return
    provider = providers[payment.provider]
    try:
        await provider.settle(
            transaction_id=payment.provider_transaction_id,
            out_order_no=settlement_order_no(order),
            platform_fee_fen=platform_fee_fen,
            platform_subsidy_fen=platform_subsidy_fen,
            promoter_payouts=promoter_payouts,
            sub_mchid=await sub_mchid_for(session, payment.store_id, provider),
        )
    except SplitCapExceeded:
        # The fee and commissions were fixed when the order was placed, under plans and a fee
        # schedule that fit the cap then; asking again gets the same refusal. The money stays
        # frozen at the provider, nothing is marked released, and a person settles it.
        log.error(
            "payments.settlement_split_refused",
            order_id=order_id,
            transaction_id=payment.provider_transaction_id,
            platform_fee_fen=platform_fee_fen,
            commissions_fen=sum(payout.amount_fen for payout in promoter_payouts),
            paid_fen=payment.amount_fen,
        )
        return
    payment.fee_split_fen = platform_fee_fen if provider.partner else 0
    payment.subsidy_paid_fen = platform_subsidy_fen if provider.partner else 0
