from __future__ import annotations

import structlog
from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse

from weshop.accounts.auth import CurrentUser
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, IdempotencyKey, RuntimeDep
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.payments import service
from weshop.payments.provider import InvalidNotification
from weshop.payments.schemas import NotificationAck, PaymentOut

log = structlog.get_logger(__name__)

shopper = APIRouter(prefix="/api/v1/me", tags=["payments"])
callbacks = APIRouter(prefix="/api/v1/payments", tags=["payments"])


@shopper.post(
    "/orders/{order_id}/payments", status_code=status.HTTP_201_CREATED, response_model=PaymentOut
)
async def pay_order(
    order_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    key: IdempotencyKey,
    provider: str = "sandbox",
):
    """Start paying an order: returns a payment intent with the provider's cashier URL.

    Asking again while it is unpaid returns the same intent. The order becomes paid when
    the provider's signed callback arrives, not when the shopper says so.
    """
    providers = runtime.components["payment_providers"]
    if provider not in providers:
        raise NotFound(f"no payment provider named {provider!r}")

    async def action() -> PaymentOut:
        payment = await service.start_payment(session, user, order_id, providers[provider])
        return PaymentOut.model_validate(payment)

    return await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint=f"POST /me/orders/{order_id}/payments",
        payload={"provider": provider},
        action=action,
    )


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
    providers = runtime.components["payment_providers"]
    if provider not in providers:
        raise NotFound("no such payment provider")
    body = await request.body()
    try:
        notice = providers[provider].verify_notification(request.headers, body)
    except InvalidNotification as exc:
        log.warning("payments.notification_rejected", provider=provider, reason=str(exc))
        return JSONResponse({"code": "FAIL", "message": str(exc)}, status_code=401)
    outcome = await service.apply_payment_notice(session, provider, notice)
    return NotificationAck(message=str(outcome))
