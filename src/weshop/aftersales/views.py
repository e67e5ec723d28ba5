"""Requests as the shopper, the store and the platform see them: with the history both
sides see, the photos, the return address once a return is approved (the full phone to the
shopper, who must write it on the parcel; masked to everyone else), the return and exchange
parcels with their carriers' timelines, and what the asking side may do now."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.aftersales import repository as repo
from weshop.aftersales.models import AftersalesPolicy, AftersalesRequest, RequestKind, RequestStatus
from weshop.aftersales.policies import policy_for
from weshop.aftersales.reasons import REASONS
from weshop.aftersales.schemas import (
    ParcelOut,
    PhotoOut,
    PolicyOut,
    RequestOut,
    ReturnAddressOut,
    StepOut,
)
from weshop.aftersales.state import REQUEST_MACHINE
from weshop.core.crypto import mask_phone
from weshop.logistics import tracking
from weshop.logistics.carriers.codes import carrier_code, carrier_name
from weshop.orders.models import OrderLine
from weshop.orders.schemas import TrackingEventOut

Audience = Literal["shopper", "staff", "platform"]

# The machine's actions as each side names them (one name for the kind-specific pairs).
ACTIONS: dict[Audience, dict[str, str]] = {
    "shopper": {
        "edit": "edit",
        "accept_refund": "accept",
        "accept_return": "accept",
        "withdraw": "withdraw",
        "escalate": "escalate",
        "ship_return": "ship_return",
    },
    "staff": {
        "approve_refund": "approve",
        "approve_return": "approve",
        "reject": "reject",
        "propose": "propose",
        "escalate": "escalate",
        "receive_refund": "confirm_receipt",
        "receive_exchange": "confirm_receipt",
        "ship_exchange": "ship_exchange",
    },
    "platform": {"decide_refund": "decide"},
}
RETURN_ADDRESS_SHOWN = frozenset(
    {RequestStatus.AWAITING_RETURN, RequestStatus.RETURN_SHIPPED, RequestStatus.AWAITING_EXCHANGE}
)


def return_address(policy: AftersalesPolicy, *, reveal: bool) -> ReturnAddressOut:
    phone = policy.return_phone or ""
    return ReturnAddressOut(
        recipient=policy.return_recipient or "",
        phone=phone if reveal or not phone else mask_phone(phone),
        address=policy.return_address or "",
    )


def describe_policy(policy: AftersalesPolicy) -> PolicyOut:
    return PolicyOut(
        return_address=return_address(policy, reveal=False),
        store_answer_hours=policy.store_answer_hours,
        shopper_ship_days=policy.shopper_ship_days,
        store_receive_days=policy.store_receive_days,
        shopper_answer_days=policy.shopper_answer_days,
        fast_refund_threshold_fen=policy.fast_refund_threshold_fen,
    )


def _actions(request: AftersalesRequest, audience: Audience) -> list[str]:
    named = ACTIONS[audience]
    allowed = REQUEST_MACHINE.allowed_actions(request.status)
    if request.kind == RequestKind.EXCHANGE and audience != "platform":
        allowed = [action for action in allowed if action != "edit"]
    return sorted({named[action] for action in allowed if action in named})


async def _parcels(session: AsyncSession, request: AftersalesRequest) -> dict[str, ParcelOut]:
    """The request's return and exchange parcels (by those names), as entered."""
    packages = {
        name: (carrier, number)
        for name, carrier, number in (
            ("return", request.return_carrier, request.return_tracking_no),
            ("exchange", request.exchange_carrier, request.exchange_tracking_no),
        )
        if number
    }
    if not packages:
        return {}
    found = await tracking.parcels(session, request.store_id, packages.values())
    described = {}
    for name, (carrier, number) in packages.items():
        parcel = found.get((carrier, number))
        code = carrier_code(carrier)
        described[name] = ParcelOut(
            carrier=carrier,
            carrier_name=carrier_name(code) if code else carrier,
            tracking_no=number,
            tracked=parcel is not None,
            state=parcel.state.value if parcel else None,
            delivered_at=parcel.delivered_at if parcel else None,
            events=[
                TrackingEventOut(at=event.at, text=event.text, area=event.area)
                for event in (parcel.events if parcel else ())
            ],
        )
    return described


async def describe_request(
    session: AsyncSession, request: AftersalesRequest, *, audience: Audience
) -> RequestOut:
    line = await session.get_one(OrderLine, request.order_line_id)
    parcels = await _parcels(session, request)
    address = None
    if request.kind != RequestKind.REFUND_ONLY and request.status in RETURN_ADDRESS_SHOWN:
        policy = await policy_for(session, request.store_id)
        address = return_address(policy, reveal=audience == "shopper")
    return RequestOut(
        id=request.id,
        request_no=request.request_no,
        store_id=request.store_id,
        order_id=request.order_id,
        order_line_id=request.order_line_id,
        line_title=line.title,
        kind=request.kind,
        status=request.status,
        reason_code=request.reason_code,
        reason_label=REASONS.get(request.reason_code, request.reason_code),
        note=request.note,
        photos=[
            PhotoOut(id=asset.id, url=asset.url)
            for asset in await repo.photos(session, request.photo_ids)
        ],
        quantity=request.quantity,
        max_fen=request.max_fen,
        shipping_fen=request.shipping_fen,
        amount_fen=request.amount_fen,
        proposed_fen=request.proposed_fen,
        fast=request.fast,
        return_carrier=request.return_carrier,
        return_tracking_no=request.return_tracking_no,
        exchange_carrier=request.exchange_carrier,
        exchange_tracking_no=request.exchange_tracking_no,
        refund_id=request.refund_id,
        dispute_outcome=request.dispute_outcome,
        deadline_at=request.deadline_at,
        created_at=request.created_at,
        finished_at=request.finished_at,
        actions=_actions(request, audience),
        return_address=address,
        history=[StepOut.model_validate(step) for step in await repo.steps_of(session, request.id)],
        return_parcel=parcels.get("return"),
        exchange_parcel=parcels.get("exchange"),
        return_delivered=request.status == RequestStatus.RETURN_SHIPPED
        and "return" in parcels
        and parcels["return"].delivered_at is not None,
    )
