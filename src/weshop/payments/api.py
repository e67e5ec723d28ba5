from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.core.errors import InvalidInput, ProviderError
from weshop.core.http import DbSession, IdempotencyKey, RuntimeDep
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.core.openapi import raises
from weshop.core.tenancy import StoreScope
from weshop.payments import refunds, service, sub_merchants
from weshop.payments.models import PaymentChannel, Refund
from weshop.payments.provider import InvalidNotification
from weshop.payments.providers import payment_setup
from weshop.payments.schemas import (
    CHANNEL_DESCRIPTION,
    ApplymentIn,
    NotificationAck,
    PaymentIn,
    PaymentOut,
    RefundIn,
    RefundOut,
    RefundPartOut,
    StorePaymentAccountOut,
    SubMerchantIn,
    payment_out,
)
from weshop.payments.wechatpay.applyments import Applyments
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

log = structlog.get_logger(__name__)

shopper = APIRouter(prefix="/api/v1/me", tags=["payments"])
callbacks = APIRouter(prefix="/api/v1/payments", tags=["payments"])
merchant = APIRouter(prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: orders"])
platform = APIRouter(
    prefix="/api/v1/platform/stores/{store_id}/payment-accounts/wechatpay", tags=["platform"]
)


@shopper.post(
    "/orders/{order_id}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentOut,
    responses={
        409: {
            "description": "The order cannot be paid now, or not in this channel: "
            "`payment_channel_unsupported` (the provider has no such channel), "
            "`wechat_app_not_configured`, `wechat_openid_required` (sign in through that "
            "WeChat app first), `store_has_no_sub_merchant`, "
            "`wechatpay_direct_mode_many_stores`."
        },
        422: {"description": "A channel in the query and another in the body."},
    },
)
@raises(ProviderError)
async def pay_order(
    order_id: PathId,
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
    """Start paying an order: returns a payment intent with the provider's cashier URL or,
    inside WeChat, the signed parameters for the WeChat client.

    The channel comes in the query or the body. `jsapi` pays under the store's own official
    account when the installation configures one (partner mode: as the sub-merchant's
    `sub_appid`), else the platform's; `miniprogram` likewise under a mini-program. The
    shopper's openid in that app must be known (they signed in through it), else 409
    `wechat_openid_required` and nothing is written. The answer's `pay_params` go to
    `WeixinJSBridge.invoke('getBrandWCPayRequest')` / `wx.chooseWXPay` or
    `wx.requestPayment` as they are.

    Asking again while it is unpaid returns the same intent (in WeChat: the same prepay,
    signed afresh). The order becomes paid when the provider's signed callback arrives (or
    the provider, asked later, says it was paid), not when the shopper says so. In WeChat
    Pay partner mode a store without a sub-merchant cannot be paid through it (409
    `store_has_no_sub_merchant`); in direct mode no payment is taken while more than one
    store sells (409 `wechatpay_direct_mode_many_stores`). A provider this installation does
    not have answers 404 `payment_provider_unavailable`.
    """
    chosen = payment_setup(runtime).provider(provider)
    if body is not None and body.channel is not None:
        if channel is not None and channel != body.channel:
            raise InvalidInput(
                "the channel in the query and the one in the body differ",
                code="payment_channel_ambiguous",
            )
        channel = body.channel

    async def action() -> PaymentOut:
        payer_ip = request.client.host if request.client else None
        payment = await service.start_payment(
            session,
            user,
            order_id,
            chosen,
            payer_ip,
            channel=channel,
            settings=runtime.settings,
        )
        return payment_out(payment, service.pay_params(chosen, payment))

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint=f"POST /me/orders/{order_id}/payments",
        payload={"provider": chosen.name, "channel": channel},
        action=action,
        model=PaymentOut,
    )
    return outcome.response()


@callbacks.post(
    "/notify/{provider}/refunds",
    response_model=NotificationAck,
    responses={401: {"description": "Signature, timestamp or body did not verify."}},
)
async def refund_notification(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    provider: str = Path(max_length=20),
):
    """The provider's signed word on a refund (WeChat Pay's REFUND.SUCCESS / ABNORMAL /
    CLOSED). Verified, then applied under the refund's compare-and-set; a replay, an unknown
    refund or a wrong amount changes nothing (and is logged)."""
    chosen = payment_setup(runtime).provider(provider)
    body = await request.body()
    try:
        update = chosen.verify_refund_notification(request.headers, body)
    except InvalidNotification as exc:
        log.warning("payments.refund_notification_rejected", provider=provider, reason=str(exc))
        return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=401)
    outcome = await refunds.apply_refund_update(session, provider, update)
    return NotificationAck(message=outcome)


@callbacks.post(
    "/notify/{provider}",
    response_model=NotificationAck,
    responses={401: {"description": "Signature, timestamp or body did not verify."}},
)
async def payment_notification(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    provider: str = Path(max_length=20),
):
    """The provider's signed callback. Verified, stored once, applied once; a replay or a
    callback for an unknown payment or the wrong amount changes nothing (and is logged)."""
    chosen = payment_setup(runtime).provider(provider)
    body = await request.body()
    try:
        notice = chosen.verify_notification(request.headers, body)
    except InvalidNotification as exc:
        log.warning("payments.notification_rejected", provider=provider, reason=str(exc))
        return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=401)
    outcome = await service.apply_payment_notice(session, provider, notice)
    return NotificationAck(message=str(outcome))


async def _refunds_out(session: AsyncSession, found: list[Refund]) -> list[RefundOut]:
    parts = await refunds.parts_of_refunds(session, [refund.id for refund in found])
    return [
        RefundOut(
            id=refund.id,
            order_id=refund.order_id,
            out_refund_no=refund.out_refund_no,
            amount_fen=refund.amount_fen,
            status=refund.status,
            reason=refund.reason,
            failure_reason=refund.failure_reason,
            parts=[RefundPartOut.model_validate(part) for part in parts.get(refund.id, [])],
            created_at=refund.created_at,
            succeeded_at=refund.succeeded_at,
        )
        for refund in found
    ]


@merchant.post(
    "/orders/{order_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=RefundOut,
    responses={
        409: {
            "description": "The order is not paid (or was cancelled), or a line has less "
            "left to refund than asked."
        }
    },
)
async def refund_order_lines(
    order_id: PathId,
    body: RefundIn,
    session: DbSession,
    key: IdempotencyKey,
    scope: StoreScope = staff_with(Permission.REFUNDS_WRITE),
):
    """Give back part of a paid order, line by line: at most each line's payable less what
    was refunded (or is being refunded) of it. The provider is asked after the request
    commits, and asked again with the same refund number until it answers; the order's
    `refunded_fen` and the store's ledger change when the money has gone back. Send an
    `Idempotency-Key` so that a retried request never refunds twice."""

    async def action() -> RefundOut:
        amounts = {line.order_line_id: line.amount_fen for line in body.lines}
        refund = await refunds.refund_store_order(session, scope, order_id, amounts, body.reason)
        return (await _refunds_out(session, [refund]))[0]

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"staff:{scope.actor_id}",
        endpoint=f"POST /merchant/stores/{scope.store_id}/orders/{order_id}/refunds",
        payload=body.model_dump(mode="json"),
        action=action,
        model=RefundOut,
    )
    return outcome.response()


@merchant.get("/orders/{order_id}/refunds", response_model=list[RefundOut])
async def order_refunds(
    order_id: PathId, session: DbSession, scope: StoreScope = staff_with(Permission.ORDERS_READ)
):
    """The refunds of one of the store's orders, oldest first, with what each gives back of
    each line (or of the shipping) and where it stands at the provider."""
    found = await refunds.store_order_refunds(session, scope, order_id)
    return await _refunds_out(session, found)


def _applyments(runtime: RuntimeDep) -> Applyments | None:
    provider = runtime.components["payment_providers"].get(sub_merchants.WECHATPAY)
    return None if provider is None else provider.pay.applyments


@platform.get(
    "",
    response_model=StorePaymentAccountOut,
    responses={404: {"description": "No such store."}},
)
async def store_payment_account(
    store_id: PathId,
    operator: CurrentOperator,
    session: DbSession,
):
    """A store's WeChat Pay account: its sub-merchant number and onboarding state."""
    return await sub_merchants.store_account(session, store_id, sub_merchants.WECHATPAY)


@platform.put(
    "",
    response_model=StorePaymentAccountOut,
    responses={404: {"description": "No such store."}},
)
async def record_sub_merchant(
    store_id: PathId,
    body: SubMerchantIn,
    operator: CurrentOperator,
    session: DbSession,
):
    """Record the WeChat Pay sub-merchant number a store already has (partner mode pays each
    store's own sub-merchant; the platform never holds the money)."""
    return await sub_merchants.record_sub_mchid(
        session, store_id, sub_merchants.WECHATPAY, body.sub_mchid
    )


@platform.post(
    "/applyment",
    response_model=StorePaymentAccountOut,
    responses={
        404: {"description": "No such store."},
        409: {"description": "WeChat Pay is not configured, or the store has a sub-merchant."},
        502: {"description": "WeChat Pay refused or did not answer."},
    },
)
async def submit_applyment(
    store_id: PathId,
    body: ApplymentIn,
    operator: CurrentOperator,
    session: DbSession,
    runtime: RuntimeDep,
):
    """Submit the store's WeChat Pay onboarding application (二级商户进件). Submitting again
    resends the same application; refresh it to learn the outcome."""
    return await sub_merchants.submit_applyment(session, store_id, _applyments(runtime), body.form)


@platform.post(
    "/applyment/refresh",
    response_model=StorePaymentAccountOut,
    responses={
        404: {"description": "No such store."},
        409: {"description": "WeChat Pay is not configured, or nothing was submitted."},
        502: {"description": "WeChat Pay refused or did not answer."},
    },
)
async def refresh_applyment(
    store_id: PathId, operator: CurrentOperator, session: DbSession, runtime: RuntimeDep
):
    """Ask WeChat Pay where the store's application stands; once finished, the store's
    sub-merchant number is recorded and it can take WeChat payments."""
    return await sub_merchants.refresh_applyment(session, store_id, _applyments(runtime))
