"""The sandbox cashier: the page a payer sees, and the button that pays.

It never touches WeShop's database: it works on the sandbox provider's own state and tells
WeShop through the signed callback, as a real provider would. A browser that pays is sent
back to the merchant's return route, ``/pay/return/{out_trade_no}``, which finds the order;
other callers (tests, scripts) get the JSON answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response

from weshop.core.errors import WeShopError
from weshop.core.http import RuntimeDep
from weshop.payments.sandbox.combined import SandboxCombinedPayments
from weshop.payments.sandbox.gateway import SandboxGateway
from weshop.payments.service import combined_return_path, return_path
from weshop.web.errors import error_message
from weshop.web.templating import render

router = APIRouter(prefix="/sandbox-pay", tags=["sandbox payment provider"])

TradeNo = Path(pattern=r"^[A-Za-z0-9]{1,32}$")
CombineNo = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,32}$")]


def gateway(runtime: object) -> SandboxGateway:
    return runtime.components["sandbox_gateway"]


class CashierResult(BaseModel):
    out_trade_no: str
    status: str
    amount_fen: int
    callbacks_acknowledged: int


async def _cashier(
    request: Request, runtime: object, out_trade_no: str, error: str | None, status_code: int
) -> HTMLResponse:
    transaction = await gateway(runtime).transaction(out_trade_no)
    return render(
        request,
        "payments/sandbox/cashier.html",
        {
            "transaction": transaction,
            "return_path": return_path(out_trade_no),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/cashier/{out_trade_no}", response_class=HTMLResponse)
async def cashier_page(
    request: Request, runtime: RuntimeDep, out_trade_no: str = TradeNo
) -> HTMLResponse:
    """The sandbox cashier page: amount, description and a button to pay."""
    return await _cashier(request, runtime, out_trade_no, None, 200)


@router.post("/cashier/{out_trade_no}/confirm", response_model=CashierResult)
async def confirm_payment(
    request: Request, runtime: RuntimeDep, out_trade_no: str = TradeNo
) -> CashierResult | Response:
    """The payer confirms: the sandbox takes the money and calls WeShop back at once
    (and again on its retry schedule until WeShop acknowledges). A browser is then sent
    back to the merchant (303), or shown why the payment could not be made."""
    sandbox = gateway(runtime)
    from_browser = "text/html" in request.headers.get("accept", "")
    try:
        transaction = await sandbox.pay(out_trade_no)
    except WeShopError as exc:
        if not from_browser:
            raise
        message = error_message(request, exc.code, exc.message)
        return await _cashier(request, runtime, out_trade_no, message, exc.status_code)
    acknowledged = await sandbox.deliver_due()
    if from_browser:
        return RedirectResponse(return_path(out_trade_no), 303)
    return CashierResult(
        out_trade_no=transaction.out_trade_no,
        status=transaction.status,
        amount_fen=transaction.amount_fen,
        callbacks_acknowledged=acknowledged,
    )


async def _combined_cashier(
    request: Request, runtime: object, number: str, error: str | None, status_code: int
) -> HTMLResponse:
    payments = SandboxCombinedPayments(gateway(runtime))
    combined = await payments.combined(number)
    assert combined is not None
    return render(
        request,
        "payments/sandbox/combined_cashier.html",
        {
            "combined": combined,
            "parts": await payments.parts(combined),
            "return_path": combined_return_path(number),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/combined/{combine_out_trade_no}", response_class=HTMLResponse)
async def combined_cashier_page(
    request: Request, runtime: RuntimeDep, combine_out_trade_no: CombineNo
) -> HTMLResponse:
    """The sandbox cashier of a combined payment: every part with its amount, the total,
    and one button that pays them all."""
    return await _combined_cashier(request, runtime, combine_out_trade_no, None, 200)


@router.post("/combined/{combine_out_trade_no}/confirm", response_model=CashierResult)
async def confirm_combined_payment(
    request: Request, runtime: RuntimeDep, combine_out_trade_no: CombineNo
) -> CashierResult | Response:
    """The payer confirms once: every part is paid and WeShop is called back (one callback
    listing them all). A browser is then sent back to the merchant (303)."""
    sandbox = gateway(runtime)
    from_browser = "text/html" in request.headers.get("accept", "")
    try:
        combined = await SandboxCombinedPayments(sandbox).pay(combine_out_trade_no)
    except WeShopError as exc:
        if not from_browser:
            raise
        message = error_message(request, exc.code, exc.message)
        return await _combined_cashier(
            request, runtime, combine_out_trade_no, message, exc.status_code
        )
    acknowledged = await sandbox.deliver_due()
    if from_browser:
        return RedirectResponse(combined_return_path(combine_out_trade_no), 303)
    parts = await SandboxCombinedPayments(sandbox).parts(combined)
    return CashierResult(
        out_trade_no=combined.combine_out_trade_no,
        status=combined.status,
        amount_fen=sum(part.amount_fen for part in parts),
        callbacks_acknowledged=acknowledged,
    )
