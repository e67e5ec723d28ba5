"""Parcel tracking over HTTP: the providers' push callback and the carriers a store picks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound, Unauthenticated
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.openapi import raises
from weshop.logistics import tracking
from weshop.logistics.carriers.codes import CARRIERS
from weshop.logistics.carriers.setup import COMPONENT
from weshop.logistics.schemas import CarrierOut, PushAck

callbacks = APIRouter(tags=["logistics: carrier callbacks"])
shop = APIRouter(prefix="/api/v1/shop", tags=["shop"])


@callbacks.post(
    tracking.PUSH_PATH,
    response_model=PushAck,
    responses={401: {"description": "The push's signature did not verify."}},
)
@raises(InvalidInput, NotFound, Unauthenticated)
async def receive_push(
    provider: Annotated[str, Path(max_length=20, description="The tracking provider.")],
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
):
    """The parcel-tracking provider's push (Kuaidi100: form fields `param` and `sign`).
    A forged signature answers 401 `push_signature_invalid` and writes nothing, a signed but
    unreadable push 422 `push_unreadable`; a replay changes nothing. Answers the provider's
    acknowledgement. 404 `parcel_tracker_unavailable` when no tracker is configured."""
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    return await tracking.receive_push(
        session, runtime.components.get(COMPONENT), provider, fields, utcnow()
    )


@shop.get("/carriers", response_model=list[CarrierOut])
async def list_carriers():
    """The carriers a store picks from when shipping: code and Chinese name. A package
    shipped with one of them (its code, name or usual short name) is tracked."""
    return [CarrierOut(code=carrier.code, name=carrier.name) for carrier in CARRIERS]
