"""The platform console's stores: the list, opening a store with its owner, a store's page,
suspending and resuming it. (Fees, a store's WeChat Pay sub-merchant and its balances have
pages of their own, in the ledger's and payments' platform consoles.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.core.crypto import mask_phone
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.stores import service
from weshop.stores.models import StoreStatus
from weshop.stores.schemas import StoreCreate
from weshop.web.console_forms import NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values, undo_on_error
from weshop.web.templating import render

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])

StatusFilter = Annotated[StoreStatus | None, Query()]
Search = Annotated[str, Query(max_length=40)]


def platform_page(
    request: Request, template: str, section: str, context: dict, *, status_code: int = 200
) -> Response:
    return render(request, template, {"section": section, **context}, status_code=status_code)


@router.get("")
async def stores(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: StatusFilter = None,
    q: Search = "",
) -> Response:
    """Every store, newest first, filtered by status and by a part of its name."""
    found = [
        store
        for store in reversed(await service.all_stores(session))
        if (status is None or store.status == status) and q.strip() in store.name
    ]
    return platform_page(
        request,
        "stores/platform/stores.html",
        "stores",
        {"stores": found, "status": status, "q": q, "statuses": list(StoreStatus)},
    )


def _new_store_page(request: Request, values: dict, errors: dict, status_code: int = 200):
    return platform_page(
        request,
        "stores/platform/store_new.html",
        "stores",
        {"values": values, "errors": errors},
        status_code=status_code,
    )


@router.get("/stores/new")
async def new_store_form(request: Request, operator: PageOperator) -> Response:
    return _new_store_page(request, {}, {})


@router.post("/stores/new")
async def new_store(
    request: Request, operator: PageOperator, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Open a store; its owner signs in with the phone given, and is its owner at once."""
    form = NestedForm(await posted_values(request))
    result = parse_nested(request, form, StoreCreate)
    if result.data is None:
        return _new_store_page(request, form.values, result.errors, 422)
    try:
        async with undo_on_error(session):
            store, _owner = await service.create_store(
                session, result.data, created_by=operator, settings=runtime.settings
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, {})
        return _new_store_page(request, form.values, result.errors, exc.status_code)
    return RedirectResponse(f"/platform/stores/{store.id}?done=created", 303)


@router.get("/stores/{store_id}")
async def store_page(
    request: Request, store_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    store = await service.get_store(session, store_id)
    owners = [mask_phone(owner.phone) for owner in await service.owners_of(session, store.id)]
    return platform_page(
        request,
        "stores/platform/store.html",
        "stores",
        {"store": store, "owners": owners, "done": request.query_params.get("done", "")},
    )


async def _change_status(session: DbSession, store_id: int, action: str) -> Response:
    await service.change_store_status(session, store_id, action)
    return RedirectResponse(f"/platform/stores/{store_id}?done={action}", 303)


@router.post("/stores/{store_id}/suspend")
async def suspend(store_id: PathId, operator: PageOperator, session: DbSession) -> Response:
    """A suspended store's pages say so and it takes no orders, until it is resumed."""
    return await _change_status(session, store_id, "suspend")


@router.post("/stores/{store_id}/resume")
async def resume(store_id: PathId, operator: PageOperator, session: DbSession) -> Response:
    return await _change_status(session, store_id, "resume")
