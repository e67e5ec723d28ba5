"""The ``/v3`` endpoints: each parses the request, checks what only HTTP carries (headers,
encrypted fields) and hands the call to one part of the simulator (``PaySim``).

``routing`` wraps every endpoint: it verifies the merchant's signature first and signs the
answer with the platform key.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response

from weshop.payments.wechatpay.applyments import SENSITIVE_FIELDS
from weshop.paysim.applyments import ApplymentIn
from weshop.paysim.context import SimContext
from weshop.paysim.errors import ApiError
from weshop.paysim.profitsharing import ReceiverIn, ReturnOrder, SplitOrder, UnfreezeOrder
from weshop.paysim.refunds import RefundRequest
from weshop.paysim.routing import (
    SignedRoute,
    UnsignedAnswerRoute,
    answer,
    caller_of,
    no_content,
    parse_body,
    query_param,
    simulator_of,
)
from weshop.paysim.security import decrypt_field, require_encryption_serial
from weshop.paysim.store import Row
from weshop.paysim.subsidies import SubsidyRequest, SubsidyReturnRequest
from weshop.paysim.transactions import (
    TRADE_TYPES,
    DirectClose,
    DirectOrder,
    PartnerClose,
    PartnerOrder,
    check_direct,
    check_partner,
)

router = APIRouter(route_class=SignedRoute)
download_router = APIRouter(route_class=UnsignedAnswerRoute)


# Orders


def _route_create(kind: str, model: type[DirectOrder] | type[PartnerOrder], prefix: str) -> None:
    async def create(request: Request) -> Response:
        order = await parse_body(request, model)
        sim = simulator_of(request)
        return answer(await sim.place_order(caller_of(request), TRADE_TYPES[kind], order))

    router.add_api_route(f"{prefix}/{kind}", create, methods=["POST"], name=f"{prefix}/{kind}")


for _kind in TRADE_TYPES:
    _route_create(_kind, DirectOrder, "/v3/pay/transactions")
    _route_create(_kind, PartnerOrder, "/v3/pay/partner/transactions")


@router.get("/v3/pay/transactions/out-trade-no/{out_trade_no}")
async def query_direct(request: Request, out_trade_no: str) -> Response:
    sim, caller = simulator_of(request), caller_of(request)
    check_direct(caller, query_param(request, "mchid"))
    transaction = sim.trading.owned(caller, sim.trading.find(caller.mchid, "", out_trade_no))
    return answer(sim.trading.resource(transaction))


@router.get("/v3/pay/transactions/id/{transaction_id}")
async def query_direct_by_id(request: Request, transaction_id: str) -> Response:
    sim, caller = simulator_of(request), caller_of(request)
    check_direct(caller, query_param(request, "mchid"))
    transaction = sim.trading.owned(caller, sim.trading.by_id(transaction_id))
    return answer(sim.trading.resource(transaction))


@router.post("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
async def close_direct(request: Request, out_trade_no: str) -> Response:
    sim, caller = simulator_of(request), caller_of(request)
    body = await parse_body(request, DirectClose)
    check_direct(caller, body.mchid)
    sim.trading.close(sim.trading.owned(caller, sim.trading.find(caller.mchid, "", out_trade_no)))
    return no_content()


def _partner_transaction(request: Request, sp_mchid: str, sub_mchid: str, out_trade_no: str) -> Row:
    sim, caller = simulator_of(request), caller_of(request)
    check_partner(sim, caller, sp_mchid, sub_mchid)
    return sim.trading.owned(caller, sim.trading.find(caller.mchid, sub_mchid, out_trade_no))


@router.get("/v3/pay/partner/transactions/out-trade-no/{out_trade_no}")
async def query_partner(request: Request, out_trade_no: str) -> Response:
    transaction = _partner_transaction(
        request,
        query_param(request, "sp_mchid"),
        query_param(request, "sub_mchid"),
        out_trade_no,
    )
    return answer(simulator_of(request).trading.resource(transaction))


@router.get("/v3/pay/partner/transactions/id/{transaction_id}")
async def query_partner_by_id(request: Request, transaction_id: str) -> Response:
    sim, caller = simulator_of(request), caller_of(request)
    sub_mchid = query_param(request, "sub_mchid")
    check_partner(sim, caller, query_param(request, "sp_mchid"), sub_mchid)
    transaction = sim.trading.owned(caller, sim.trading.by_id(transaction_id))
    if transaction["sub_mchid"] != sub_mchid:
        raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
    return answer(sim.trading.resource(transaction))


@router.post("/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close")
async def close_partner(request: Request, out_trade_no: str) -> Response:
    body = await parse_body(request, PartnerClose)
    transaction = _partner_transaction(request, body.sp_mchid, body.sub_mchid, out_trade_no)
    simulator_of(request).trading.close(transaction)
    return no_content()


# Refunds


@router.post("/v3/refund/domestic/refunds")
async def create_refund(request: Request) -> Response:
    body = await parse_body(request, RefundRequest)
    return answer(simulator_of(request).refunding.create(caller_of(request), body))


@router.get("/v3/refund/domestic/refunds/{out_refund_no}")
async def query_refund(request: Request, out_refund_no: str) -> Response:
    sim = simulator_of(request)
    sub_mchid = request.query_params.get("sub_mchid")
    return answer(sim.refunding.query(caller_of(request), out_refund_no, sub_mchid))


# Profit sharing


def _decrypt_names(
    sim: SimContext, headers: Mapping[str, str], names: list[tuple[str, str | None]]
) -> None:
    """Personal names travel encrypted with the platform key, announced by Wechatpay-Serial."""
    present = [(field, value) for field, value in names if value]
    if present:
        require_encryption_serial(sim.platform, headers)
    for field, value in present:
        decrypt_field(sim.platform, field, value or "")


@router.post("/v3/profitsharing/receivers/add")
async def add_receiver(request: Request) -> Response:
    sim, body = simulator_of(request), await parse_body(request, ReceiverIn)
    _decrypt_names(sim, request.headers, [("name", body.name)])
    return answer(sim.sharing.add_receiver(caller_of(request), body))


@router.post("/v3/profitsharing/orders")
async def split(request: Request) -> Response:
    sim, body = simulator_of(request), await parse_body(request, SplitOrder)
    names = [(f"receivers/{i}/name", r.name) for i, r in enumerate(body.receivers)]
    _decrypt_names(sim, request.headers, names)
    return answer(sim.sharing.split(caller_of(request), body))


@router.post("/v3/profitsharing/orders/unfreeze")
async def unfreeze(request: Request) -> Response:
    body = await parse_body(request, UnfreezeOrder)
    return answer(simulator_of(request).sharing.unfreeze(caller_of(request), body))


@router.get("/v3/profitsharing/orders/{out_order_no}")
async def query_split(request: Request, out_order_no: str) -> Response:
    transaction_id = query_param(request, "transaction_id")
    sub_mchid = request.query_params.get("sub_mchid")
    return answer(
        simulator_of(request).sharing.query(
            caller_of(request), out_order_no, transaction_id, sub_mchid
        )
    )


@router.get("/v3/profitsharing/transactions/{transaction_id}/amounts")
async def unsplit_amount(request: Request, transaction_id: str) -> Response:
    return answer(simulator_of(request).sharing.unsplit_amount(caller_of(request), transaction_id))


@router.get("/v3/profitsharing/merchant-configs/{sub_mchid}")
async def merchant_config(request: Request, sub_mchid: str) -> Response:
    return answer(simulator_of(request).sharing.merchant_config(caller_of(request), sub_mchid))


@router.post("/v3/profitsharing/return-orders")
async def return_split(request: Request) -> Response:
    body = await parse_body(request, ReturnOrder)
    return answer(simulator_of(request).sharing.return_split(caller_of(request), body))


@router.get("/v3/profitsharing/return-orders/{out_return_no}")
async def query_return(request: Request, out_return_no: str) -> Response:
    out_order_no = query_param(request, "out_order_no")
    sub_mchid = request.query_params.get("sub_mchid")
    return answer(
        simulator_of(request).sharing.query_return(
            caller_of(request), out_return_no, out_order_no, sub_mchid
        )
    )


# Subsidies


@router.post("/v3/ecommerce/subsidies/create")
async def create_subsidy(request: Request) -> Response:
    body = await parse_body(request, SubsidyRequest)
    return answer(simulator_of(request).subsidies.create(caller_of(request), body))


@router.post("/v3/ecommerce/subsidies/return")
async def return_subsidy(request: Request) -> Response:
    body = await parse_body(request, SubsidyReturnRequest)
    return answer(simulator_of(request).subsidies.return_subsidy(caller_of(request), body))


# Onboarding of sub-merchants


def _check_sensitive(sim: SimContext, request: Request, form: ApplymentIn) -> None:
    require_encryption_serial(sim.platform, request.headers)
    document = form.model_dump()
    for section, fields in SENSITIVE_FIELDS.items():
        parts = document.get(section)
        for index, part in enumerate(parts if isinstance(parts, list) else [parts]):
            if not isinstance(part, dict):
                continue
            for field in fields:
                if part.get(field):
                    where = (
                        f"{section}/{index}/{field}"
                        if isinstance(parts, list)
                        else f"{section}/{field}"
                    )
                    decrypt_field(sim.platform, where, str(part[field]))


@router.post("/v3/ecommerce/applyments/")
async def submit_applyment(request: Request) -> Response:
    sim, form = simulator_of(request), await parse_body(request, ApplymentIn)
    _check_sensitive(sim, request, form)
    return answer(sim.onboarding.submit(caller_of(request), form))


@router.get("/v3/ecommerce/applyments/out-request-no/{out_request_no}")
async def query_by_out_request_no(request: Request, out_request_no: str) -> Response:
    sim = simulator_of(request)
    return answer(sim.onboarding.query(caller_of(request), out_request_no=out_request_no))


@router.get("/v3/ecommerce/applyments/{applyment_id}")
async def query_by_id(request: Request, applyment_id: int) -> Response:
    sim = simulator_of(request)
    return answer(sim.onboarding.query(caller_of(request), applyment_id=applyment_id))


# Bills


@router.get("/v3/bill/tradebill")
async def trade_bill(request: Request) -> Response:
    sim = simulator_of(request)
    return answer(
        sim.billing.trade_bill(
            caller_of(request),
            query_param(request, "bill_date"),
            request.query_params.get("sub_mchid"),
            request.query_params.get("bill_type") or "ALL",
            request.query_params.get("tar_type") or "",
        )
    )


@router.get("/v3/profitsharing/bills")
async def profit_sharing_bill(request: Request) -> Response:
    sim = simulator_of(request)
    return answer(
        sim.billing.profit_sharing_bill(
            caller_of(request),
            query_param(request, "bill_date"),
            request.query_params.get("sub_mchid"),
            request.query_params.get("tar_type") or "",
        )
    )


@download_router.get("/v3/billdownload/file")
async def download_bill(request: Request) -> Response:
    sim = simulator_of(request)
    content = sim.billing.download(caller_of(request), query_param(request, "token"))
    return Response(content, media_type="application/octet-stream")
