"""Storefront pages of payments: start paying an order, come back from the cashier, see the
result.

The cashier belongs to the provider. The browser is sent to the PATH of a cashier served by
this app (``public_base_url`` may name another host than the one the browser uses); a cashier
elsewhere (WeChat Pay, or its simulator) gets the full URL and, as WeChat Pay's H5 flow
allows, a ``redirect_url`` back to ``/pay/return/{out_trade_no}``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Path, Request
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
from weshop.payments.models import NO_PROVIDER
from weshop.payments.providers import payment_setup
from weshop.payments.views import shopper_payment
from weshop.web.csrf import verify_csrf
from weshop.web.forms import undo_on_error
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

TradeNo = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,32}$")]
# How often the result page looks again while the provider's word is on its way.
RESULT_REFRESH_SECONDS = 2
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
    """Opens (or reopens) the order's payment and goes to the provider's cashier."""
    provider = payment_setup(runtime).provider()
    try:
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
