"""Storefront pages of payments: start paying an order, come back from the cashier, see the
result.

The cashier belongs to the provider. The browser is sent to the PATH of a cashier served by
this app (``public_base_url`` may name another host than the one the browser uses); a cashier
elsewhere (WeChat Pay, or its simulator) gets the full URL and, as WeChat Pay's H5 flow
allows, a ``redirect_url`` back to ``/pay/return/{out_trade_no}``.

A page opened in WeChat (user agent ``MicroMessenger``) pays by JSAPI when the official
account is configured and the shopper's openid in it is known: WeChat itself is the cashier,
started from a page of ours with ``WeixinJSBridge.invoke('getBrandWCPayRequest')``. Otherwise
(and everywhere outside WeChat) the provider's default channel, as above.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.core.ids import PathId
from weshop.orders import service as orders
from weshop.orders.models import OrderStatus
from weshop.orders.web import ShopperOrderSection
from weshop.payments import service
from weshop.payments.in_app import APP_NOT_CONFIGURED, OPENID_REQUIRED
from weshop.payments.models import NO_PROVIDER, PaymentChannel
from weshop.payments.providers import payment_setup
from weshop.payments.views import open_in_app_payment, shopper_payment
from weshop.web.csrf import verify_csrf
from weshop.web.forms import undo_on_error
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

TradeNo = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,32}$")]
# How often the result page looks again while the provider's word is on its way.
RESULT_REFRESH_SECONDS = 2
WECHAT_BROWSER = "MicroMessenger"
# Why a page in WeChat pays as it would outside instead: no official account, or the shopper
# has not signed in through it.
NOT_IN_APP = frozenset({APP_NOT_CONFIGURED, OPENID_REQUIRED})
Started = TypeVar("Started")


def in_wechat(request: Request) -> bool:
    return WECHAT_BROWSER in request.headers.get("user-agent", "")


# Sections that domains above payments add to the result page (WeChat: the button that
# subscribes to shipping news); ``weshop.routes`` lists them, None shows nothing.
RESULT_PAGE_SECTIONS: list[ShopperOrderSection] = []


def cashier_location(cashier_url: str, public_base_url: str, return_url: str) -> str:
    """Where to send the browser for a payment's cashier."""
    base = public_base_url.rstrip("/")
    if cashier_url.startswith(base + "/"):
        parts = urlsplit(cashier_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    if cashier_url.startswith(("http://", "https://")):
        joiner = "&" if urlsplit(cashier_url).query else "?"
        return f"{cashier_url}{joiner}{urlencode({'redirect_url': return_url})}"
    return cashier_url


@router.post("/me/orders/{order_id}/pay")
async def pay(
    request: Request, order_id: PathId, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Opens (or reopens) the order's payment and goes to the provider's cashier, or inside
    WeChat to the page that hands the payment to WeChat."""
    provider = payment_setup(runtime).provider()
    try:
        if in_wechat(request) and PaymentChannel.JSAPI in provider.channels:
            payment = await unless_not_in_app(
                session,
                lambda: service.start_payment(
                    session,
                    user,
                    order_id,
                    provider,
                    client_address(request),
                    channel=PaymentChannel.JSAPI,
                    settings=runtime.settings,
                ),
            )
            if payment is not None:
                return RedirectResponse(f"/me/orders/{order_id}/pay/wechat", 303)
        async with undo_on_error(session):
            payment = await service.start_payment(
                session, user, order_id, provider, client_address(request)
            )
    except NotFound:
        raise
    except WeShopError as exc:
        return RedirectResponse(f"/me/orders/{order_id}?{urlencode({'error': exc.code})}", 303)
    return_url = str(request.base_url).rstrip("/") + f"/pay/return/{payment.out_trade_no}"
    location = cashier_location(payment.cashier_url, runtime.settings.public_base_url, return_url)
    return RedirectResponse(location, 303)


async def unless_not_in_app(
    session: AsyncSession, start: Callable[[], Awaitable[Started]]
) -> Started | None:
    """What ``start`` (a payment in the JSAPI channel) returns, or None when the shopper
    cannot pay inside WeChat here: the app is not configured or has no openid of theirs
    (nothing written then). Every other refusal is raised."""
    try:
        async with undo_on_error(session):
            return await start()
    except WeShopError as exc:
        if exc.code in NOT_IN_APP:
            return None
        raise


@router.get("/me/orders/{order_id}/pay/wechat")
async def wechat_pay_page(
    request: Request, order_id: PathId, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Inside WeChat: hands the order's JSAPI payment (signed afresh, the same prepay) to
    WeChat, then goes to the result page; a cancelled or failed payment offers to retry. A
    prepay that has expired is renewed by paying again (the retry)."""
    order = await orders.shopper_order(session, user, order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return RedirectResponse(f"/me/orders/{order_id}/result", 303)
    provider = payment_setup(runtime).provider()
    payment = await open_in_app_payment(session, order.id, provider.name, PaymentChannel.JSAPI)
    params = None if payment is None else service.pay_params(provider, payment)
    return render(
        request,
        "payments/shop/wechat_pay.html",
        {
            "order": order,
            "params": params,
            "jssdk_script_url": runtime.settings.wechat_jssdk_script_url,
            "return_url": None
            if payment is None
            else str(request.base_url).rstrip("/") + f"/pay/return/{payment.out_trade_no}",
            "tab": "me",
        },
    )


@router.get("/me/orders/{order_id}/pay")
async def pay_page(order_id: PathId) -> Response:
    """Paying starts from the order (a form post); a visit here goes there."""
    return RedirectResponse(f"/me/orders/{order_id}", 303)


@router.get("/pay/return/{out_trade_no}")
async def back_from_cashier(
    out_trade_no: TradeNo, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Where a cashier sends the payer back: the result page of the payment's order."""
    providers = [*payment_setup(runtime).providers, NO_PROVIDER]
    payment = await shopper_payment(session, user, out_trade_no, providers)
    return RedirectResponse(f"/me/orders/{payment.order_id}/result", 303)


@router.get("/me/orders/{order_id}/result")
async def payment_result(
    request: Request, order_id: PathId, user: PageUser, session: DbSession
) -> Response:
    """Paid, still waiting for the provider's word (the page refreshes itself), or too late."""
    order = await orders.shopper_order(session, user, order_id)
    if order.status == OrderStatus.PENDING_PAYMENT:
        outcome = "window_passed" if utcnow() >= order.pay_deadline else "waiting"
    elif order.status == OrderStatus.CANCELLED:
        outcome = "cancelled"
    else:
        outcome = "paid"
    return render(
        request,
        "payments/shop/result.html",
        {
            "order": order,
            "outcome": outcome,
            "refresh_seconds": RESULT_REFRESH_SECONDS,
            "sections": [
                shown
                for section in RESULT_PAGE_SECTIONS
                if (shown := await section(request, session, user, order)) is not None
            ],
            "tab": "me",
        },
    )
