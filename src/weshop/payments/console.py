"""The merchant console's refunds on the order page: what was given back and what is left to
give back of each line, and the form by which staff give back part of a paid order, line by
line, as the payments service allows."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.orders import service as orders
from weshop.orders.console import OrderForms, order_page
from weshop.orders.models import Order
from weshop.orders.parts import Part
from weshop.payments import refunds
from weshop.payments import repository as repo
from weshop.payments.models import Refund, RefundPart
from weshop.payments.schemas import RefundIn
from weshop.stores.console_access import ConsoleAccess, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, add_refusal, fen_of_yuan
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

REFUND_REFUSALS = {
    "order_not_refundable": ("__all__", N_("This order cannot be refunded now.")),
    "unknown_order_line": ("__all__", N_("An item is not part of this order.")),
    "invalid_refund_amount": ("__all__", N_("Enter an amount for at least one item.")),
    "idempotency_key_reused": ("__all__", N_("This form was already sent. Reload the page.")),
}


class RefundAsked(BaseModel):
    refund_id: int


@dataclass(frozen=True)
class OrderRefunds:
    """An order's refunds (oldest first) with their parts, and what is left to refund of each
    part (a line's id, or None for the shipping) while staff may still refund it."""

    refunds: list[Refund]
    parts: dict[int, list[RefundPart]] = field(default_factory=dict)
    left: dict[Part, int] = field(default_factory=dict)

    @property
    def refundable(self) -> bool:
        return any(amount > 0 for part, amount in self.left.items() if part is not None)


async def order_refunds(session: AsyncSession, order: Order) -> OrderRefunds:
    """Reads only, without the payment's lock (pages read in read-only transactions): the
    refund itself checks again under the lock."""
    found = await repo.order_refunds(session, order.id)
    parts = await refunds.parts_of_refunds(session, [refund.id for refund in found])
    payment = await repo.succeeded_payment(session, order.id)
    if payment is None or order.status not in refunds.REFUNDABLE_ORDER_STATUSES:
        return OrderRefunds(refunds=found, parts=parts)
    return OrderRefunds(refunds=found, parts=parts, left=await refunds.parts_left(session, payment))


def _refund_key(forms: OrderForms) -> str:
    """A new idempotency key per refund form; the same one when the form comes back."""
    posted = forms.refund.values.get("refund_key") if forms.refund else None
    return posted if isinstance(posted, str) and posted else secrets.token_urlsafe(16)


async def refunds_section(
    request: Request, session: AsyncSession, access: ConsoleAccess, order: Order, forms: OrderForms
) -> dict[str, Any]:
    """The order page's refunds, and its refund form where the role may refund."""
    found = await order_refunds(session, order)
    return {
        "can_refund": access.can(Permission.REFUNDS_WRITE) and found.refundable,
        "refunds": found,
        "refund_key": _refund_key(forms),
    }


def _amounts(request: Request, values: dict[str, Any]) -> tuple[dict[int, int], dict[str, str]]:
    """Fen to give back per line (``lines.<id>`` in yuan; blank or 0: nothing)."""
    amounts, errors = {}, {}
    for name, text in values.items():
        line_id = name.removeprefix("lines.")
        if name == line_id or not line_id.isdigit() or not isinstance(text, str):
            continue
        if not text.strip():
            continue
        fen = fen_of_yuan(text)
        if isinstance(fen, str):
            errors[name] = gettext(request, "Enter an amount in yuan, e.g. 12.50.")
        elif fen:
            amounts[int(line_id)] = fen
    return amounts, errors


@router.post("/orders/{order_id}/refunds")
async def refund_order_lines(
    request: Request,
    order_id: PathId,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.REFUNDS_WRITE),
) -> Response:
    order = await orders.store_order(session, access.scope, order_id)
    values = await posted_values(request)
    amounts, errors = _amounts(request, values)
    body = {
        "lines": [{"order_line_id": line, "amount_fen": fen} for line, fen in amounts.items()],
        "reason": str(values.get("reason", "")),
    }
    result: FormResult[Any] = parse_form(body, RefundIn)
    result.values = values
    if "reason" in result.errors:
        result.errors = {"reason": gettext(request, "This is too long.")}
    elif result.errors:
        result.errors = {"__all__": gettext(request, "Enter an amount for at least one item.")}
    result.errors.update(errors)
    if result.errors or result.data is None:
        forms = OrderForms(refund=result)
        return await order_page(request, session, access, order.id, forms, status_code=422)
    data = result.data
    key = str(values.get("refund_key", "")) or None

    async def action() -> RefundAsked:
        refund = await refunds.refund_store_order(
            session, access.scope, order.id, amounts, data.reason
        )
        return RefundAsked(refund_id=refund.id)

    try:
        async with undo_on_error(session):
            await run_idempotent(
                session,
                key=key,
                owner=f"staff:{access.scope.actor_id}",
                endpoint=f"console refunds {order.id}",
                payload=data.model_dump(mode="json"),
                action=action,
                model=RefundAsked,
            )
    except WeShopError as exc:
        line = exc.details.get("order_line_id") if isinstance(exc.details, dict) else None
        if exc.code == "refund_exceeds_line" and line is not None:
            result.add_error(f"lines.{line}", gettext(request, "More than is left to refund."))
        else:
            add_refusal(request, result, exc, REFUND_REFUSALS)
        forms = OrderForms(refund=result)
        return await order_page(
            request, session, access, order.id, forms, status_code=exc.status_code
        )
    return done_redirect(access, f"/orders/{order.id}", "refunded")
