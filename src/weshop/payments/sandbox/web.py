"""The sandbox cashier: the page a payer sees, and the button that pays.

It never touches WeShop's database: it works on the sandbox provider's own state and tells
WeShop through the signed callback, as a real provider would.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from weshop.core.http import RuntimeDep
from weshop.core.money import format_yuan
from weshop.payments.sandbox.gateway import SandboxGateway

router = APIRouter(prefix="/sandbox-pay", tags=["sandbox payment provider"])

TradeNo = Path(pattern=r"^[A-Za-z0-9]{1,32}$")


def gateway(runtime: object) -> SandboxGateway:
    return runtime.components["sandbox_gateway"]


class CashierResult(BaseModel):
    out_trade_no: str
    status: str
    amount_fen: int
    callbacks_acknowledged: int


@router.get("/cashier/{out_trade_no}", response_class=HTMLResponse)
async def cashier_page(runtime: RuntimeDep, out_trade_no: str = TradeNo) -> HTMLResponse:
    """The sandbox cashier page: amount, description and a button to pay."""
    transaction = await gateway(runtime).transaction(out_trade_no)
    payable = transaction.status == "open"
    button = (
        f'<form method="post" action="/sandbox-pay/cashier/{escape(out_trade_no)}/confirm">'
        '<button type="submit">确认支付</button></form>'
        if payable
        else f"<p>状态: {escape(transaction.status)}</p>"
    )
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>沙箱收银台</title></head>
<body><main><h1>沙箱收银台</h1><p>{escape(transaction.description)}</p>
<p class="amount">{format_yuan(transaction.amount_fen)}</p>{button}
<p><small>这是测试支付,不会扣除真实资金。</small></p></main></body></html>"""
    return HTMLResponse(html)


@router.post("/cashier/{out_trade_no}/confirm", response_model=CashierResult)
async def confirm_payment(
    request: Request, runtime: RuntimeDep, out_trade_no: str = TradeNo
) -> CashierResult:
    """The payer confirms: the sandbox takes the money and calls WeShop back at once
    (and again on its retry schedule until WeShop acknowledges)."""
    sandbox = gateway(runtime)
    transaction = await sandbox.pay(out_trade_no)
    acknowledged = await sandbox.deliver_due()
    return CashierResult(
        out_trade_no=transaction.out_trade_no,
        status=transaction.status,
        amount_fen=transaction.amount_fen,
        callbacks_acknowledged=acknowledged,
    )
