"""Payment side effects run by the worker after their cause has committed."""

from __future__ import annotations

from weshop.core.worker import HandlerRegistry, TaskContext
from weshop.orders.service import ORDER_CANCELLED, REFUND_REQUESTED
from weshop.payments import (
    applyment_form,
    checkout_payments,
    provider_settlement,
    refunds,
    service,
    sub_merchants,
)
from weshop.payments.provider import PromoterPayout

registry = HandlerRegistry()


@registry.on(REFUND_REQUESTED)
async def refund_cancelled_order(ctx: TaskContext) -> None:
    await refunds.refund_cancelled_order(
        ctx.session, ctx.payload["order_id"], ctx.payload["amount_fen"]
    )


@registry.on(refunds.SEND_REFUND)
async def send_refund(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await refunds.send_refund(ctx.session, ctx.payload["refund_id"], providers)


@registry.on(refunds.QUERY_REFUND)
async def query_refund(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await refunds.query_refund(
        ctx.session, ctx.payload["refund_id"], ctx.payload["asked"], providers
    )


@registry.on(refunds.RETURN_SUBSIDY)
async def return_subsidy(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await refunds.return_subsidy(ctx.session, ctx.payload["refund_id"], providers)


@registry.on(ORDER_CANCELLED)
async def close_open_payments(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await service.close_open_payments(ctx.session, ctx.payload["order_id"], providers, ctx.now)


@registry.on(service.QUERY_PAYMENT)
async def query_payment(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await service.query_payment(ctx.session, ctx.payload["payment_id"], providers)


@registry.on(checkout_payments.QUERY_COMBINED_PAYMENT)
async def query_combined_payment(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await checkout_payments.query_combined_payment(
        ctx.session, ctx.payload["combined_payment_id"], providers
    )


@registry.on(provider_settlement.SETTLE_AT_PROVIDER)
async def settle_at_provider(ctx: TaskContext) -> None:
    providers = ctx.runtime.components["payment_providers"]
    await provider_settlement.settle_at_provider(
        ctx.session,
        ctx.payload["order_id"],
        ctx.payload["platform_fee_fen"],
        ctx.payload.get("platform_subsidy_fen", 0),
        providers,
        [
            PromoterPayout(payout["openid"], payout["amount_fen"])
            for payout in ctx.payload.get("commissions", [])
        ],
    )


@registry.on(applyment_form.POLL_APPLYMENT)
async def poll_applyment(ctx: TaskContext) -> None:
    provider = ctx.runtime.components["payment_providers"].get(sub_merchants.WECHATPAY)
    await applyment_form.poll(
        ctx.session,
        ctx.payload["store_id"],
        ctx.payload["out_request_no"],
        ctx.payload["polls"],
        None if provider is None else provider.pay.applyments,
    )
