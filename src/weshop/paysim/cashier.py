"""The payer's side: cashier pages standing in for the WeChat client.

- H5: ``h5_url`` opens ``/cashier/h5?prepay_id=…`` (``redirect_url`` may follow, as on WeChat).
- Native: the ``code_url`` ``weixin://wxpay/bizpayurl?pr=…`` is "scanned" at
  ``/cashier/native?pr=…``.
- JSAPI: the page gets the parameters a merchant page passes to ``getBrandWCPayRequest`` and
  checks their ``paySign`` with the merchant's key, as the WeChat client does;
  ``redirect_url`` may follow (as with H5), where the payer goes back to the merchant's page.

A combined order (合单) is paid at the same pages through its own prepay id or code: the
page lists every sub-order with its sub-merchant, and one confirmation pays them all.

Confirming pays the order and sends the TRANSACTION.SUCCESS callback at once.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from weshop.payments.wechatpay import crypto
from weshop.paysim.bills import yuan
from weshop.paysim.errors import ApiError, invalid_request
from weshop.paysim.routing import simulator_of
from weshop.paysim.security import merchant_public_key
from weshop.paysim.store import Row

router = APIRouter(tags=["paysim cashier"])


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
.amount{{font-size:2rem;font-weight:bold}}button{{width:100%;padding:.8rem;font-size:1.1rem;
background:#07c160;color:#fff;border:0;border-radius:.4rem}}td{{padding:.2rem .5rem}}</style>
</head><body><main><h1>{escape(title)}</h1>{body}
<p><small>WeShop paysim: 微信支付APIv3的本地模拟器，不涉及真实资金。</small></p>
</main></body></html>"""
    return HTMLResponse(html, status_code=status_code)


def _error(exc: ApiError) -> HTMLResponse:
    return _page("无法支付", f"<p>{escape(exc.code)}: {escape(exc.message)}</p>", exc.status)


def _order_page(sim_request: Request, transaction: Row, fields: dict[str, str]) -> HTMLResponse:
    sim = simulator_of(sim_request)
    state = sim.trading.state(transaction)
    merchant = transaction["sub_mchid"] or transaction["mchid"]
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    action = (
        f'<form method="post" action="/cashier/confirm">{hidden}'
        '<button type="submit">确认支付</button></form>'
        if state == "NOTPAY"
        else f"<p>订单状态: {escape(state)}</p>"
    )
    body = f"""<p class="amount">¥{yuan(transaction["total"])}</p>
<table><tr><td>商品</td><td>{escape(transaction["description"])}</td></tr>
<tr><td>收款商户</td><td>{escape(merchant)}</td></tr>
<tr><td>商户订单号</td><td>{escape(transaction["out_trade_no"])}</td></tr>
<tr><td>支付方式</td><td>{escape(transaction["trade_type"])}</td></tr></table>{action}"""
    return _page("微信支付", body)


def _combined_page(request: Request, combined: Row, fields: dict[str, str]) -> HTMLResponse:
    combining = simulator_of(request).combining
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    state = combining.state(combined)
    action = (
        f'<form method="post" action="/cashier/confirm">{hidden}'
        '<button type="submit">确认支付</button></form>'
        if state == "NOTPAY"
        else f"<p>订单状态: {escape(state)}</p>"
    )
    rows = "".join(
        f"<tr><td>{escape(sub['sub_mchid'])}</td><td>{escape(sub['description'])}</td>"
        f"<td>¥{yuan(sub['total'])}</td></tr>"
        for sub in combining.sub_transactions(combined)
    )
    body = f"""<p class="amount">¥{yuan(combining.total(combined))}</p>
<p>合单商户订单号 {escape(combined["combine_out_trade_no"])}</p>
<table class="sub-orders"><tr><td>收款商户</td><td>商品</td><td>金额</td></tr>{rows}</table>
{action}"""
    return _page("微信支付（合单）", body)


def _combined(request: Request, column: str, value: str) -> Row | None:
    combining = simulator_of(request).combining
    if column == "prepay_id":
        return combining.by_token(prepay_id=value)
    return combining.by_token(code_token=value)


def _by(request: Request, column: str, value: str) -> Row:
    if column not in ("prepay_id", "code_token"):
        raise ValueError(column)
    transaction = simulator_of(request).store.one(
        f"SELECT * FROM transactions WHERE {column} = ?", (value,)
    )
    if transaction is None or not value:
        raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
    return transaction


@router.get("/cashier/h5", response_class=HTMLResponse)
async def h5_cashier(request: Request, prepay_id: str = "", redirect_url: str = "") -> HTMLResponse:
    combined = _combined(request, "prepay_id", prepay_id)
    if combined is not None:
        return _combined_page(
            request, combined, {"prepay_id": prepay_id, "redirect_url": redirect_url}
        )
    try:
        transaction = _by(request, "prepay_id", prepay_id)
    except ApiError as exc:
        return _error(exc)
    return _order_page(request, transaction, {"prepay_id": prepay_id, "redirect_url": redirect_url})


@router.get("/cashier/native", response_class=HTMLResponse)
async def native_cashier(request: Request, pr: str = "") -> HTMLResponse:
    combined = _combined(request, "code_token", pr)
    if combined is not None:
        return _combined_page(request, combined, {"pr": pr})
    try:
        transaction = _by(request, "code_token", pr)
    except ApiError as exc:
        return _error(exc)
    return _order_page(request, transaction, {"pr": pr})


@router.get("/cashier/jsapi", response_class=HTMLResponse)
async def jsapi_cashier(request: Request, redirect_url: str = "") -> HTMLResponse:
    params = request.query_params
    try:
        package = params.get("package", "")
        prepay_id = package.removeprefix("prepay_id=")
        combined = _combined(request, "prepay_id", prepay_id)
        transaction = _by(request, "prepay_id", prepay_id) if combined is None else None
        owner = combined["combine_mchid"] if transaction is None else transaction["mchid"]
        merchant = simulator_of(request).merchant(owner)
        assert merchant is not None
        message = crypto.jsapi_pay_message(
            params.get("appId", ""),
            params.get("timeStamp", ""),
            params.get("nonceStr", ""),
            package,
        )
        ordered_under = _apps(request, combined, transaction)
        if params.get("appId") not in ordered_under:
            raise invalid_request("appId与下单时的appid不一致")
        if params.get("signType") != "RSA" or not crypto.verify(
            merchant_public_key(merchant), message, params.get("paySign", "")
        ):
            raise ApiError(400, "SIGN_ERROR", "paySign签名错误")
    except ApiError as exc:
        return _error(exc)
    fields = {"prepay_id": prepay_id, "redirect_url": redirect_url}
    if combined is not None:
        return _combined_page(request, combined, fields)
    assert transaction is not None
    return _order_page(request, transaction, fields)


def _apps(request: Request, combined: Row | None, transaction: Row | None) -> set[str]:
    """The apps a payment may be paid under: those it was ordered under."""
    if combined is None:
        assert transaction is not None
        return {transaction["appid"], transaction["sub_appid"]} - {""}
    subs = simulator_of(request).combining.sub_transactions(combined)
    return ({combined["combine_appid"]} | {sub["sub_appid"] for sub in subs}) - {""}


@router.post("/cashier/confirm", response_class=HTMLResponse)
async def confirm(request: Request) -> HTMLResponse:
    """The payer confirms: the order is paid and WeShop is called back at once (and again on
    WeChat Pay's schedule until it acknowledges)."""
    sim = simulator_of(request)
    form = await request.form()
    prepay_id, code_token = str(form.get("prepay_id", "")), str(form.get("pr", ""))
    combined = sim.combining.by_token(prepay_id=prepay_id, code_token=code_token)
    try:
        if combined is not None:
            sim.combining.pay(combined)
            total, paid_ids = (
                sim.combining.total(combined),
                [sub["transaction_id"] for sub in sim.combining.sub_transactions(combined)],
            )
        else:
            paid = sim.trading.pay(prepay_id=prepay_id, code_token=code_token)
            total, paid_ids = paid["total"], [paid["transaction_id"]]
    except ApiError as exc:
        return _error(exc)
    acknowledged = await sim.process_due()
    redirect = str(form.get("redirect_url", ""))
    back = f'<p><a href="{escape(redirect)}">返回商户</a></p>' if redirect else ""
    body = f"""<p class="amount">¥{yuan(total)}</p>
<p>微信支付订单号 {escape("，".join(paid_ids))}</p>
<p class="callbacks">已通知商户: {acknowledged} 条回调被确认</p>{back}"""
    return _page("支付成功", body)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """Recent orders, with a link to pay each open one (for Native orders, say)."""
    sim = simulator_of(request)
    rows = sim.store.all("SELECT * FROM transactions ORDER BY created_at DESC LIMIT 50")
    lines = []
    for transaction in rows:
        state = sim.trading.state(transaction)
        if state == "NOTPAY":
            query = urlencode({"pr": transaction["code_token"]})
            link = f'<a href="/cashier/native?{query}">去支付</a>'
        else:
            link = escape(state)
        lines.append(
            f"<tr><td>{escape(transaction['out_trade_no'])}</td>"
            f"<td>¥{yuan(transaction['total'])}</td><td>{link}</td></tr>"
        )
    table = "<table>" + "".join(lines) + "</table>" if lines else "<p>还没有订单。</p>"
    return _page("paysim 订单", table)
