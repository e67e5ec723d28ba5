"""The platform console's coupons: platform-funded coupon templates, usable in every store —
create, pause, resume, end, with their redemption figures. The pages are the merchant
console's coupon pages in the platform's frame."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageOperator
from weshop.core.clock import utcnow
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.promotions import coupons
from weshop.promotions.console import (
    COUPON_REFUSALS,
    DONE_NOTICES,
    PAGE_SIZE,
    TEMPLATE_TABS,
    coupon_body,
)
from weshop.promotions.coupons import Owner
from weshop.promotions.models import TemplateStatus
from weshop.promotions.schemas import TemplateCreate
from weshop.web.console_forms import add_refusal, parse_nested, yuan_text
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error
from weshop.web.templating import render, shop_time

router = APIRouter(prefix="/platform", dependencies=[Depends(verify_csrf)])


class OperatorAccess:
    """What the shared coupon pages ask of the visitor: an operator may do all of it."""

    def can(self, permission: str) -> bool:
        return True


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200):
    return render(
        request,
        template,
        {
            "layout": "platform/layout.html",
            "section": "coupons",
            "base": "/platform",
            "platform": True,
            "access": OperatorAccess(),
            "when": shop_time,
            "yuan_text": yuan_text,
            **context,
        },
        status_code=status_code,
    )


@router.get("/coupons")
async def coupons_page(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: Annotated[TemplateStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    rows = await coupons.list_templates(
        session, Owner.platform(operator.id), status=status, cursor=cursor, limit=PAGE_SIZE
    )
    page = page_of(rows, PAGE_SIZE, lambda template: template)
    return _page(
        request,
        "promotions/console/coupons.html",
        {
            "templates": page.items,
            "next_cursor": page.next_cursor,
            "status": status or "",
            "tabs": TEMPLATE_TABS,
        },
    )


def _form(request: Request, form: FormResult[Any] | None = None, status_code: int = 200):
    defaults = {
        "kind": "fixed",
        "scope.kind": "all",
        "validity": "window",
        "total_quantity": "1000",
        "per_shopper_limit": "1",
    }
    return _page(
        request,
        "promotions/console/coupon_form.html",
        {
            "values": form.values if form else defaults,
            "errors": form.errors if form else {},
            "products": [],
            "categories": [],
        },
        status_code,
    )


@router.get("/coupons/new")
async def new_coupon(request: Request, operator: PageOperator) -> Response:
    return _form(request)


@router.post("/coupons/new")
async def create_coupon(request: Request, operator: PageOperator, session: DbSession) -> Response:
    """A coupon the platform pays for, usable in every store."""
    values = await posted_values(request)
    values["scope.kind"] = "all"
    form = coupon_body(values)
    result = parse_nested(request, form, TemplateCreate)
    if result.data is None:
        return _form(request, result, 422)
    try:
        async with undo_on_error(session):
            template = await coupons.create_template(
                session, Owner.platform(operator.id), result.data, utcnow()
            )
    except WeShopError as exc:
        add_refusal(request, result, exc, COUPON_REFUSALS)
        return _form(request, result, exc.status_code)
    return RedirectResponse(f"/platform/coupons/{template.id}?done=created", 303)


@router.get("/coupons/{coupon_template_id}")
async def coupon_detail(
    request: Request, coupon_template_id: PathId, operator: PageOperator, session: DbSession
) -> Response:
    template = await coupons.get_template(session, Owner.platform(operator.id), coupon_template_id)
    figures = await coupons.template_figures(session, template, utcnow())
    return _page(
        request,
        "promotions/console/coupon_detail.html",
        {
            "template": template,
            "figures": figures,
            "notice": DONE_NOTICES.get(request.query_params.get("done", "")),
        },
    )


@router.post("/coupons/{coupon_template_id}/{action}")
async def change_coupon(
    coupon_template_id: PathId,
    action: Literal["pause", "resume", "end"],
    operator: PageOperator,
    session: DbSession,
) -> Response:
    await coupons.change_status(session, Owner.platform(operator.id), coupon_template_id, action)
    return RedirectResponse(f"/platform/coupons/{coupon_template_id}?done={action}", 303)
