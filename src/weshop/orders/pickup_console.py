"""The merchant console's pickup counter (核销): one input for the code the shopper shows;
a right code completes the order, as ``POST .../pickups/verify`` does."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from weshop.core.errors import WeShopError
from weshop.core.http import RuntimeDep, reads_only
from weshop.orders import pickup_verification
from weshop.orders.models import Order
from weshop.orders.schemas import PickupVerifyIn
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Counter = console_staff(Permission.ORDERS_FULFIL)
REFUSALS = {
    "unknown_pickup_code": ("code", N_("No paid order of this store has this pickup code.")),
    "pickup_code_used": ("code", N_("This pickup code was already used.")),
    "pickup_verify_locked": (
        "code",
        N_("Too many wrong pickup codes: try again in a few minutes."),
    ),
}


def _page(
    request: Request,
    access: ConsoleAccess,
    result: FormResult[PickupVerifyIn] | None = None,
    order: Order | None = None,
    *,
    status_code: int = 200,
) -> Response:
    return console_page(
        request,
        "orders/console/pickup_verify.html",
        access,
        "pickup_verify",
        {"errors": result.errors if result else {}, "order": order},
        status_code=status_code,
    )


@router.get("/pickups/verify")
async def verify_page(request: Request, access: ConsoleAccess = Counter) -> Response:
    return _page(request, access)


@router.post("/pickups/verify")
@reads_only
async def verify_code(
    request: Request, runtime: RuntimeDep, access: ConsoleAccess = Counter
) -> Response:
    result = parse_nested(request, NestedForm(await posted_values(request)), PickupVerifyIn)
    if result.data is None:
        return _page(request, access, result, status_code=422)
    try:
        await pickup_verification.count_attempt(runtime.lockouts, access.scope)
        # The attempt counted in a transaction of its own; the verification writes in another.
        async with runtime.db.transaction() as writer:
            order = await pickup_verification.verify_code(
                writer, runtime.lockouts, access.scope, result.data.code
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, REFUSALS)
        return _page(request, access, result, status_code=exc.status_code)
    return _page(request, access, order=order)
