"""The platform console's payment pages: a store's WeChat Pay sub-merchant (its number, its
onboarding application's state, asking WeChat Pay for news)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.payments import sub_merchants
from weshop.payments.schemas import SubMerchantIn
from weshop.stores import service as stores
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.errors import error_message
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

SUB_MCHID_ERROR = N_("Enter the sub-merchant number WeChat Pay gave the store (digits only).")


async def _account_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    store_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    store = await stores.get_store(session, store_id)
    account = await sub_merchants.store_account(session, store_id, sub_merchants.WECHATPAY)
    return render(
        request,
        "payments/platform/store_payments.html",
        {
            "section": "stores",
            "store": store,
            "account": account,
            "wechatpay": sub_merchants.WECHATPAY in runtime.components["payment_providers"],
            "errors": errors or {},
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/stores/{store_id}/payments")
async def store_payments(
    request: Request,
    store_id: PathId,
    operator: PageOperator,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    return await _account_page(request, session, runtime, store_id)


@router.post("/stores/{store_id}/payments/sub-merchant")
async def record_sub_merchant(
    request: Request,
    store_id: PathId,
    operator: PageOperator,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Record the sub-merchant number a store already has at WeChat Pay."""
    values = await posted_values(request)
    try:
        body = SubMerchantIn(sub_mchid=str(values.get("sub_mchid", "")).strip())
    except ValidationError:
        errors = {"sub_mchid": gettext(request, SUB_MCHID_ERROR)}
        return await _account_page(request, session, runtime, store_id, errors=errors,
                                   status_code=422)  # fmt: skip
    await stores.get_store(session, store_id)
    await sub_merchants.record_sub_mchid(session, store_id, sub_merchants.WECHATPAY, body.sub_mchid)
    return RedirectResponse(f"/platform/stores/{store_id}/payments?done=recorded", 303)


@router.post("/stores/{store_id}/payments/applyment/refresh")
async def refresh_applyment(
    request: Request,
    store_id: PathId,
    operator: PageOperator,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Ask WeChat Pay where the store's application stands."""
    provider = runtime.components["payment_providers"].get(sub_merchants.WECHATPAY)
    try:
        async with undo_on_error(session):
            await sub_merchants.refresh_applyment(
                session, store_id, None if provider is None else provider.pay.applyments
            )
    except WeShopError as exc:
        errors = {"__all__": error_message(request, exc.code, exc.message)}
        return await _account_page(request, session, runtime, store_id, errors=errors,
                                   status_code=exc.status_code)  # fmt: skip
    return RedirectResponse(f"/platform/stores/{store_id}/payments?done=refreshed", 303)
