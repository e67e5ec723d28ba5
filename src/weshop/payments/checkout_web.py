"""Storefront pages of paying a whole checkout at once: the page that pays every order of a
multi-store checkout with one payment, the way back from the cashier, and the result page
listing every order of the checkout with its store and amount.

In WeChat's browser, with an official account configured and the shopper's openid known, the
checkout is paid by JSAPI (WeChat is the cashier, as for one order: ``payments.web``);
otherwise, and everywhere else, at the provider's cashier page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.core.clock import utcnow
from weshop.core.errors import NotFound, WeShopError
from weshop.core.http import DbSession, RuntimeDep, client_address
from weshop.orders.models import OrderStatus
from weshop.orders.web import ORDER_STATUS_NAMES
from weshop.payments import checkout_payments
from weshop.payments.models import CombinedPayment, PaymentChannel, PaymentStatus
from weshop.payments.providers import payment_setup
from weshop.payments.service import combined_return_path, return_path
from weshop.payments.views import checkout_order_lines
from weshop.payments.web import (
    RESULT_REFRESH_SECONDS,
    cashier_location,
    in_wechat,
    unless_not_in_app,
)
from weshop.web.csrf import verify_csrf
from weshop.web.errors import error_message
from weshop.web.forms import undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

Number = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,32}$")]


def _error(request: Request) -> str | None:
    """Why the last attempt to pay did not start, in the shopper's language."""
    code = request.query_params.get("error")
    if not code:
        return None
    generic = gettext(request, "The payment could not be started. Please try again.")
    return error_message(request, code, generic)


@router.get("/me/checkouts/{checkout_no}/pay")
async def checkout_pay_page(
    request: Request, checkout_no: Number, user: PageUser, session: DbSession
) -> Response:
    """Every order of the checkout with its store and amount, and one button that pays
    those awaiting payment together; with nothing left to pay, the result page."""
    orders = await checkout_payments.checkout_orders(session, user, checkout_no)
    now = utcnow()
    awaiting = [
        order
        for order in orders
        if order.status == OrderStatus.PENDING_PAYMENT and now < order.pay_deadline
    ]
    if not awaiting:
        return RedirectResponse(f"/me/checkouts/{checkout_no}/result", 303)
    return render(
        request,
        "payments/shop/checkout_pay.html",
        {
            "checkout_no": checkout_no,
            "lines": await checkout_order_lines(session, orders),
            "total_fen": sum(order.payable_fen for order in awaiting),
            "deadline": min(order.pay_deadline for order in awaiting),
            "error": _error(request),
            "tab": "me",
        },
    )


@router.post("/me/checkouts/{checkout_no}/pay")
async def pay_checkout(
    request: Request, checkout_no: Number, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Opens (or reopens) the checkout's one payment and goes to the provider's cashier."""
    provider = payment_setup(runtime).provider()
    try:
        if in_wechat(request) and PaymentChannel.JSAPI in provider.channels:
            in_app = await unless_not_in_app(
                session,
                lambda: checkout_payments.start_checkout_payment(
                    session,
                    user,
                    checkout_no,
                    provider,
                    client_address(request),
                    channel=PaymentChannel.JSAPI,
                    settings=runtime.settings,
                ),
            )
            if in_app is not None and in_app.combined is not None:
                return RedirectResponse(f"/me/checkouts/{checkout_no}/pay/wechat", 303)
            if in_app is not None and in_app.single is not None:
                return RedirectResponse(f"/me/orders/{in_app.single.order_id}/pay/wechat", 303)
            if in_app is not None:  # nothing to pay (its orders cost 0 fen)
                return RedirectResponse(f"/me/checkouts/{checkout_no}/result", 303)
        async with undo_on_error(session):
            paid = await checkout_payments.start_checkout_payment(
                session, user, checkout_no, provider, client_address(request)
            )
    except NotFound:
        raise
    except WeShopError as exc:
        query = urlencode({"error": exc.code})
        return RedirectResponse(f"/me/checkouts/{checkout_no}/pay?{query}", 303)
    base = str(request.base_url).rstrip("/")
    if paid.combined is not None:
        back, cashier = combined_return_path(paid.combined.combine_out_trade_no), paid.combined
    elif paid.single is not None:
        back, cashier = return_path(paid.single.out_trade_no), paid.single
    else:
        return RedirectResponse(f"/me/checkouts/{checkout_no}/result", 303)
    location = cashier_location(cashier.cashier_url, runtime.settings.public_base_url, base + back)
    return RedirectResponse(location, 303)


@router.get("/me/checkouts/{checkout_no}/pay/wechat")
async def checkout_wechat_pay_page(
    request: Request, checkout_no: Number, user: PageUser, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Inside WeChat: hands the checkout's JSAPI combined payment (signed afresh) to WeChat,
    then goes to the result page; cancelled or failed, it offers to pay again."""
    orders = await checkout_payments.checkout_orders(session, user, checkout_no)
    provider = payment_setup(runtime).provider()
    combined = await session.scalar(
        select(CombinedPayment)
        .where(
            CombinedPayment.checkout_no == checkout_no,
            CombinedPayment.user_id == user.id,
            CombinedPayment.status == PaymentStatus.PENDING,
            CombinedPayment.channel == PaymentChannel.JSAPI,
            CombinedPayment.provider == provider.name,
        )
        .order_by(CombinedPayment.id.desc())
        .limit(1)
    )
    if combined is None:
        return RedirectResponse(f"/me/checkouts/{checkout_no}/result", 303)
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "payments/shop/checkout_wechat_pay.html",
        {
            "checkout_no": checkout_no,
            "lines": await checkout_order_lines(session, orders),
            "amount_fen": combined.amount_fen,
            "params": checkout_payments.combined_pay_params(provider, combined),
            "jssdk_script_url": runtime.settings.wechat_jssdk_script_url,
            "return_url": base + combined_return_path(combined.combine_out_trade_no),
            "tab": "me",
        },
    )


@router.get("/pay/return/combined/{combine_out_trade_no}")
async def back_from_combined_cashier(
    combine_out_trade_no: Number, user: PageUser, session: DbSession
) -> Response:
    """Where a combined payment's cashier sends the payer back: the checkout's result."""
    combined = await checkout_payments.shopper_combined_payment(session, user, combine_out_trade_no)
    return RedirectResponse(f"/me/checkouts/{combined.checkout_no}/result", 303)


@router.get("/me/checkouts/{checkout_no}/result")
async def checkout_result(
    request: Request, checkout_no: Number, user: PageUser, session: DbSession
) -> Response:
    """Every order of the checkout with its store, amount and state: paid, still waiting
    for the provider's word (the page refreshes itself), or too late."""
    orders = await checkout_payments.checkout_orders(session, user, checkout_no)
    now = utcnow()
    pending = [order for order in orders if order.status == OrderStatus.PENDING_PAYMENT]
    if not pending:
        outcome = (
            "cancelled"
            if all(order.status == OrderStatus.CANCELLED for order in orders)
            else "paid"
        )
    elif all(now >= order.pay_deadline for order in pending):
        outcome = "window_passed"
    else:
        outcome = "waiting"
    paid_fen = sum(order.paid_fen for order in orders if order.status != OrderStatus.CANCELLED)
    return render(
        request,
        "payments/shop/checkout_result.html",
        {
            "checkout_no": checkout_no,
            "lines": await checkout_order_lines(session, orders),
            "status_names": {str(status): name for status, name in ORDER_STATUS_NAMES.items()},
            "paid_fen": paid_fen,
            "outcome": outcome,
            "refresh_seconds": RESULT_REFRESH_SECONDS,
            "tab": "me",
        },
    )
