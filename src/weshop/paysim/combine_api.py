"""The ``/v3/combine-transactions`` endpoints (合单支付), signed and verified as every ``/v3``
endpoint (see ``routing``); the rules are in ``combine``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from weshop.paysim.combine import CombineClose, CombineOrder
from weshop.paysim.routing import (
    SignedRoute,
    answer,
    caller_of,
    no_content,
    parse_body,
    simulator_of,
)
from weshop.paysim.transactions import TRADE_TYPES

router = APIRouter(route_class=SignedRoute)


def _route_create(kind: str) -> None:
    async def create(request: Request) -> Response:
        order = await parse_body(request, CombineOrder)
        sim = simulator_of(request)
        return answer(await sim.place_combined_order(caller_of(request), TRADE_TYPES[kind], order))

    path = f"/v3/combine-transactions/{kind}"
    router.add_api_route(path, create, methods=["POST"], name=path)


for _kind in TRADE_TYPES:
    _route_create(_kind)


@router.get("/v3/combine-transactions/out-trade-no/{combine_out_trade_no}")
async def query_combined(request: Request, combine_out_trade_no: str) -> Response:
    sim = simulator_of(request)
    combined = sim.combining.owned(caller_of(request), combine_out_trade_no)
    return answer(sim.combining.resource(combined))


@router.post("/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close")
async def close_combined(request: Request, combine_out_trade_no: str) -> Response:
    sim = simulator_of(request)
    body = await parse_body(request, CombineClose)
    sim.combining.close(sim.combining.owned(caller_of(request), combine_out_trade_no), body)
    return no_content()
