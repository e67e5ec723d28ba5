"""The API of paying a whole checkout at once (one payment for the orders of several
stores), and the provider's callback of such a payment."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentUser
from weshop.core.errors import InvalidInput, ProviderError
from weshop.core.http import DbSession, IdempotencyKey, RuntimeDep
from weshop.core.idempotency import run_idempotent
from weshop.core.openapi import raises
from weshop.payments import checkout_payments, service
from weshop.payments.checkout_payments import CheckoutPayment
from weshop.payments.models import PaymentChannel
from weshop.payments.provider import InvalidNotification, PaymentProvider
from weshop.payments.providers import payment_setup
from weshop.payments.schemas import (
    CHANNEL_DESCRIPTION,
    CheckoutPaymentOut,
    NotificationAck,
    PaymentIn,
    PayParams,
)
from weshop.payments.views import checkout_order_lines

log = structlog.get_logger(__name__)

shopper = APIRouter(prefix="/api/v1/checkouts", tags=["payments"])
callbacks = APIRouter(prefix="/api/v1/payments", tags=["payments"])

CheckoutNo = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9]{1,32}$", description="The checkout's number (checkout_no).")
]


async def checkout_payment_out(
    session: AsyncSession, provider: PaymentProvider, paid: CheckoutPayment
) -> CheckoutPaymentOut:
    orders = await checkout_order_lines(session, paid.orders)
    if paid.combined is not None:
        combined = paid.combined
        params = checkout_payments.combined_pay_params(provider, combined)
        return CheckoutPaymentOut(
            checkout_no=paid.checkout_no,
            kind="combined",
            provider=combined.provider,
            channel=combined.channel,
            combine_out_trade_no=combined.combine_out_trade_no,
            out_trade_no=None,
            amount_fen=combined.amount_fen,
            status=combined.status,
            cashier_url=combined.cashier_url,
            pay_params=PayParams.model_validate(params) if params else None,
            orders=orders,
        )
    if paid.single is not None:
        single = paid.single
        params = service.pay_params(provider, single)
        return CheckoutPaymentOut(
            checkout_no=paid.checkout_no,
            kind="single",
            provider=single.provider,
            channel=single.channel,
            combine_out_trade_no=None,
            out_trade_no=single.out_trade_no,
            amount_fen=single.amount_fen,
            status=single.status,
            cashier_url=single.cashier_url,
            pay_params=PayParams.model_validate(params) if params else None,
            orders=orders,
        )
    return CheckoutPaymentOut(
        checkout_no=paid.checkout_no,
        kind="none",
        provider=None,
        channel=None,
        combine_out_trade_no=None,
        out_trade_no=None,
        amount_fen=0,
        status=None,
        cashier_url="",
        orders=orders,
    )


@shopper.post(
    "/{checkout_no}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckoutPaymentOut,
    responses={
        404: {"description": "No such checkout of the signed-in shopper."},
        409: {
            "description": "Nothing can be paid now, or not in this channel: "
            "`checkout_not_payable` (no order awaits payment), `payment_window_passed`, "
            "`combined_payment_unsupported` (the provider cannot pay several stores at "
            "once), `payment_channel_unsupported`, `wechat_app_not_configured`, "
            "`wechat_openid_required`, `store_has_no_sub_merchant`."
        },
        422: {"description": "A channel in the query and another in the body."},
    },
)
@raises(ProviderError)
async def pay_checkout(
    checkout_no: CheckoutNo,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    key: IdempotencyKey,
    request: Request,
    provider: Annotated[
        str | None,
        Query(
            max_length=20,
            description="A configured provider (wechatpay, or sandbox where enabled); "
            "default: the installation's. Any other answers 404 "
            "`payment_provider_unavailable`.",
        ),
    ] = None,
    channel: Annotated[PaymentChannel | None, Query(description=CHANNEL_DESCRIPTION)] = None,
    body: PaymentIn | None = None,
):
    """Pay every order of a checkout awaiting payment at once (合单支付): one payment of
    the shopper, whose parts are the orders' own payments, each paid to its store (WeChat
    Pay partner mode: each store's sub-merchant). Orders of 0 fen are paid at once; a
    checkout with one order left to pay is paid by that order's ordinary payment.

    Asking again while unpaid returns the same payment; once one of its orders was
    cancelled (or paid alone) the combined payment was closed, and asking again pays the
    orders still awaiting payment. The orders become paid when the provider's signed
    callback arrives. Another shopper's checkout answers 404. Send an `Idempotency-Key`."""
    chosen = payment_setup(runtime).provider(provider)
    if body is not None and body.channel is not None:
        if channel is not None and channel != body.channel:
            raise InvalidInput(
                "the channel in the query and the one in the body differ",
                code="payment_channel_ambiguous",
            )
        channel = body.channel

    async def action() -> CheckoutPaymentOut:
        payer_ip = request.client.host if request.client else None
        paid = await checkout_payments.start_checkout_payment(
            session,
            user,
            checkout_no,
            chosen,
            payer_ip,
            channel=channel,
            settings=runtime.settings,
        )
        return await checkout_payment_out(session, chosen, paid)

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint=f"POST /checkouts/{checkout_no}/payments",
        payload={"provider": chosen.name, "channel": channel},
        action=action,
        model=CheckoutPaymentOut,
    )
    return outcome.response()


@callbacks.post(
    "/notify/{provider}/combined",
    response_model=NotificationAck,
    responses={401: {"description": "Signature, timestamp or body did not verify."}},
)
async def combined_payment_notification(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    provider: str = Path(max_length=20),
):
    """The provider's signed callback of a combined payment, listing every part. Verified;
    each part stored once and applied once, with its own amount checked; a replay changes
    nothing (and is logged)."""
    chosen = payment_setup(runtime).provider(provider)
    body = await request.body()
    try:
        notices = chosen.verify_combined_notification(request.headers, body)
    except InvalidNotification as exc:
        log.warning("payments.combined_notification_rejected", provider=provider, reason=str(exc))
        return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=401)
    outcomes = await checkout_payments.apply_combined_notices(session, provider, notices)
    return NotificationAck(message=",".join(str(outcome) for outcome in outcomes))
