"""After-sales endpoints: the shopper's under ``/api/v1/me/aftersales``, the store's under
``/api/v1/merchant/stores/{store_id}/aftersales``, the platform's under
``/api/v1/platform/aftersales``."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, File, Query, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.auth import CurrentOperator, CurrentUser
from weshop.aftersales import service, stats
from weshop.aftersales.models import AftersalesRequest, RequestStatus
from weshop.aftersales.policies import policy_for, update_policy
from weshop.aftersales.reasons import REASONS
from weshop.aftersales.schemas import (
    DecisionIn,
    EditIn,
    NoteIn,
    ParcelIn,
    PolicyIn,
    PolicyOut,
    ProposeIn,
    ReasonOut,
    RejectIn,
    RequestIn,
    RequestOut,
    StatsOut,
)
from weshop.aftersales.views import Audience, describe_policy, describe_request
from weshop.core.clock import Moment
from weshop.core.http import DbSession, IdempotencyKey, RuntimeDep
from weshop.core.idempotency import run_idempotent
from weshop.core.ids import PathId
from weshop.core.pagination import DEFAULT_LIMIT, CursorQuery, Limit, Page, page_of
from weshop.core.runtime import Runtime
from weshop.core.tenancy import StoreScope
from weshop.core.worker import nudge_worker
from weshop.media import service as media
from weshop.media.schemas import MediaOut
from weshop.orders import service as orders
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

shopper = APIRouter(prefix="/api/v1/me/aftersales", tags=["after-sales"])
# Evidence is uploaded against the order, before any request exists (like review photos).
shopper_orders = APIRouter(prefix="/api/v1/me/orders", tags=["after-sales"])
merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/aftersales", tags=["merchant: after-sales"]
)
platform = APIRouter(prefix="/api/v1/platform/aftersales", tags=["platform"])

Reader = staff_with(Permission.ORDERS_READ)
Handler = staff_with(Permission.REFUNDS_WRITE)


def _refund_soon(background: BackgroundTasks, runtime: Runtime, answer: RequestOut) -> None:
    """A request whose refund was just recorded: once the request has committed, the
    in-process worker sends it at once instead of at its next poll."""
    if answer.status == RequestStatus.REFUNDING:
        background.add_task(nudge_worker, runtime)


async def _page(
    session: AsyncSession, requests: list[AftersalesRequest], limit: int, audience: Audience
) -> Page[RequestOut]:
    page = page_of(requests, limit, lambda request: request)
    page.items = [
        await describe_request(session, request, audience=audience) for request in page.items
    ]
    return page


# The shopper


@shopper.get("/reasons", response_model=list[ReasonOut])
async def reasons(user: CurrentUser) -> list[ReasonOut]:
    """The reasons a shopper may give, by code, with their Chinese labels (for the signed-in
    shopper's request form, like the rest of ``/api/v1/me``)."""
    return [ReasonOut(code=code, label=label) for code, label in REASONS.items()]


@shopper_orders.post(
    "/{order_id}/aftersales-photos", status_code=status.HTTP_201_CREATED, response_model=MediaOut
)
async def upload_photo(
    order_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    file: UploadFile = File(description="A PNG, JPEG, WebP or GIF image."),
):
    """Upload a photo as evidence for a request about one of your orders (up to 6 per
    request); its bytes decide its type. Send its id in `photo_ids`."""
    order = await orders.shopper_order(session, user, order_id)
    limit = runtime.settings.max_upload_bytes
    data = await file.read(limit + 1)
    scope = StoreScope(store_id=order.store_id, actor_id=user.id, role="shopper")
    return await media.upload_image(
        session, scope, data, media_dir=runtime.settings.media_dir, max_bytes=limit
    )


@shopper.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestOut,
    responses={
        409: {
            "description": "The order is not paid, its window closed, the line has an open "
            "request, or fewer units are left than asked."
        }
    },
)
async def create_request(
    body: RequestIn,
    user: CurrentUser,
    session: DbSession,
    key: IdempotencyKey,
    runtime: RuntimeDep,
    background: BackgroundTasks,
):
    """Ask for a refund (`refund_only`: goods not received), a return and refund, or an
    exchange of some units of one order line, with a reason code, a note and up to 6
    photos. The amount defaults to the line's refundable share for those units (plus the
    shipping when this gives back the whole unshipped order) and may only be lower (422
    `amount_above_refundable`). A fast refund (`fast`: refund-only, unshipped or under the
    store's threshold, a clean record) is approved at once and its refund sent right after
    this request. Send an `Idempotency-Key` so that a retry never asks twice."""

    async def action() -> RequestOut:
        request = await service.create_request(session, user, body)
        return await describe_request(session, request, audience="shopper")

    outcome = await run_idempotent(
        session,
        key=key,
        owner=f"user:{user.id}",
        endpoint="POST /me/aftersales",
        payload=body.model_dump(mode="json"),
        action=action,
        model=RequestOut,
    )
    _refund_soon(background, runtime, outcome.model)
    return outcome.response()


@shopper.get("", response_model=Page[RequestOut])
async def my_requests(
    user: CurrentUser,
    session: DbSession,
    status_filter: RequestStatus | None = Query(None, alias="status"),
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Your after-sales requests, newest first."""
    requests = await service.list_requests(
        session,
        user=user,
        filters=service.RequestFilters(status=status_filter),
        cursor=cursor,
        limit=limit,
    )
    return await _page(session, requests, limit, "shopper")


@shopper.get("/{request_id}", response_model=RequestOut)
async def my_request(request_id: PathId, user: CurrentUser, session: DbSession):
    """One of your requests with its whole history and, once a return is approved, the
    store's return address."""
    request = await service.my_request(session, user, request_id)
    return await describe_request(session, request, audience="shopper")


@shopper.post("/{request_id}/accept", response_model=RequestOut)
async def accept(
    request_id: PathId,
    user: CurrentUser,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
):
    """Accept the store's proposed amount: a refund-only request's refund goes out."""
    request = await service.accept(session, user, request_id)
    answer = await describe_request(session, request, audience="shopper")
    _refund_soon(background, runtime, answer)
    return answer


@shopper.post("/{request_id}/edit", response_model=RequestOut)
async def edit(request_id: PathId, body: EditIn, user: CurrentUser, session: DbSession):
    """Lower the amount asked for (never raise it: 422); the store answers again."""
    request = await service.edit(session, user, request_id, body)
    return await describe_request(session, request, audience="shopper")


@shopper.post("/{request_id}/withdraw", response_model=RequestOut)
async def withdraw(request_id: PathId, body: NoteIn, user: CurrentUser, session: DbSession):
    """Withdraw the request (before the goods are sent back)."""
    request = await service.withdraw(session, user, request_id, body.note)
    return await describe_request(session, request, audience="shopper")


@shopper.post("/{request_id}/escalate", response_model=RequestOut)
async def escalate(request_id: PathId, body: NoteIn, user: CurrentUser, session: DbSession):
    """Ask the platform to decide."""
    request = await service.escalate_as_shopper(session, user, request_id, body.note)
    return await describe_request(session, request, audience="shopper")


@shopper.post("/{request_id}/return-shipment", response_model=RequestOut)
async def ship_return(request_id: PathId, body: ParcelIn, user: CurrentUser, session: DbSession):
    """The goods are on their way back: carrier and tracking number."""
    request = await service.ship_return(session, user, request_id, body)
    return await describe_request(session, request, audience="shopper")


# The store


@merchant.get("", response_model=Page[RequestOut])
async def store_requests(
    session: DbSession,
    status_filter: RequestStatus | None = Query(None, alias="status"),
    due_before: Moment | None = Query(
        None, description="Only requests whose deadline is before this moment."
    ),
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
    scope: StoreScope = Reader,
):
    """The store's after-sales requests, newest first, by state and deadline."""
    requests = await service.list_requests(
        session,
        scope=scope,
        filters=service.RequestFilters(status=status_filter, due_before=due_before),
        cursor=cursor,
        limit=limit,
    )
    return await _page(session, requests, limit, "staff")


@merchant.get("/stats", response_model=StatsOut)
async def store_stats(session: DbSession, scope: StoreScope = Reader):
    """Open requests by state and deadline, refund rate, dispute rate and the median time
    from request to refund."""
    return await stats.store_stats(session, scope)


@merchant.get("/policy", response_model=PolicyOut)
async def get_policy(session: DbSession, scope: StoreScope = Reader):
    """The store's return address (phone masked), answer times and fast-refund threshold."""
    return describe_policy(await policy_for(session, scope.store_id))


@merchant.put("/policy", response_model=PolicyOut)
async def put_policy(
    body: PolicyIn, session: DbSession, scope: StoreScope = staff_with(Permission.STORE_SETTINGS)
):
    """Change the return address, the answer times (within the platform's bounds: the store
    24–168 hours, each other wait 3–15 days) or the fast-refund threshold (0: off)."""
    return describe_policy(await update_policy(session, scope, body))


@merchant.get("/{request_id}", response_model=RequestOut)
async def store_request(request_id: PathId, session: DbSession, scope: StoreScope = Reader):
    """One request of the store with its history."""
    request = await service.store_request(session, scope, request_id)
    return await describe_request(session, request, audience="staff")


@merchant.post("/{request_id}/approve", response_model=RequestOut)
async def approve(
    request_id: PathId,
    body: NoteIn,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    scope: StoreScope = Handler,
):
    """Approve: a refund-only request's refund goes out; a return or exchange waits for the
    shopper's parcel."""
    request = await service.approve(session, scope, request_id, body.note)
    answer = await describe_request(session, request, audience="staff")
    _refund_soon(background, runtime, answer)
    return answer


@merchant.post("/{request_id}/reject", response_model=RequestOut)
async def reject(
    request_id: PathId, body: RejectIn, session: DbSession, scope: StoreScope = Handler
):
    """Reject, with a reason the shopper sees."""
    request = await service.reject(session, scope, request_id, body.reason)
    return await describe_request(session, request, audience="staff")


@merchant.post("/{request_id}/propose", response_model=RequestOut)
async def propose(
    request_id: PathId, body: ProposeIn, session: DbSession, scope: StoreScope = Handler
):
    """Propose another amount for the shopper to accept."""
    request = await service.propose(session, scope, request_id, body)
    return await describe_request(session, request, audience="staff")


@merchant.post("/{request_id}/escalate", response_model=RequestOut)
async def store_escalate(
    request_id: PathId, body: NoteIn, session: DbSession, scope: StoreScope = Handler
):
    """Ask the platform to decide."""
    request = await service.escalate_as_store(session, scope, request_id, body.note)
    return await describe_request(session, request, audience="staff")


@merchant.post("/{request_id}/receipt", response_model=RequestOut)
async def confirm_receipt(
    request_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    scope: StoreScope = Handler,
):
    """The returned goods arrived: back in stock; a return's refund goes out."""
    request = await service.confirm_receipt(session, scope, request_id)
    answer = await describe_request(session, request, audience="staff")
    _refund_soon(background, runtime, answer)
    return answer


@merchant.post("/{request_id}/exchange-shipment", response_model=RequestOut)
async def ship_exchange(
    request_id: PathId, body: ParcelIn, session: DbSession, scope: StoreScope = Handler
):
    """The new parcel of an exchange is on its way: the request completes."""
    request = await service.ship_exchange(session, scope, request_id, body)
    return await describe_request(session, request, audience="staff")


# The platform


@platform.get("", response_model=Page[RequestOut])
async def disputes(
    operator: CurrentOperator,
    session: DbSession,
    status_filter: RequestStatus | None = Query(
        RequestStatus.DISPUTED, alias="status", description="Default: disputes to decide."
    ),
    cursor: CursorQuery = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Requests of every store; by default the disputes waiting for a decision."""
    requests = await service.list_requests(
        session,
        filters=service.RequestFilters(status=status_filter),
        cursor=cursor,
        limit=limit,
    )
    return await _page(session, requests, limit, "platform")


@platform.get("/{request_id}", response_model=RequestOut)
async def dispute(request_id: PathId, operator: CurrentOperator, session: DbSession):
    """One request with its whole history and evidence."""
    request = await service.any_request(session, request_id)
    return await describe_request(session, request, audience="platform")


@platform.post("/{request_id}/decision", response_model=RequestOut)
async def decide(
    request_id: PathId,
    body: DecisionIn,
    operator: CurrentOperator,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
):
    """Decide a dispute, finally: a refund of up to the request's maximum (sent at once), or
    `refund_fen` 0 to reject."""
    request = await service.decide(session, operator, request_id, body)
    answer = await describe_request(session, request, audience="platform")
    _refund_soon(background, runtime, answer)
    return answer
