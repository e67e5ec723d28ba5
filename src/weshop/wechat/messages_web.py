"""The storefront's side of subscription messages: inside WeChat, the order page and the
payment result page offer a ``<wx-open-subscribe>`` button ("订阅发货/物流通知") for the
official account's shipped and delivered templates, and report what WeChat answered here
(the page's session and CSRF token; the API takes the same report with a bearer token)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from weshop.accounts.models import User
from weshop.accounts.page_session import PageUser
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput
from weshop.core.http import DbSession, get_runtime
from weshop.orders.models import Order, OrderStatus
from weshop.web.csrf import verify_csrf
from weshop.web.forms import posted_values
from weshop.wechat import subscriptions
from weshop.wechat.schemas import SubscriptionsIn

router = APIRouter(dependencies=[Depends(verify_csrf)])

# What the button asks for: the news of an order on its way.
ORDER_EVENTS = ("order_shipped", "order_delivered")
BEFORE_DELIVERY = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)


def in_wechat(request: Request) -> bool:
    return "micromessenger" in request.headers.get("user-agent", "").lower()


async def subscribe_section(
    request: Request, session: AsyncSession, user: User, order: Order
) -> dict[str, Any] | None:
    """The button on a paid order not yet delivered, in WeChat's browser, when the official
    account has a template for shipping or delivery (a section of the order page and of the
    payment result page)."""
    if not in_wechat(request) or order.status not in BEFORE_DELIVERY:
        return None
    templates = subscriptions.subscribe_templates(get_runtime(request).settings, "official")
    template_ids = [templates[event] for event in ORDER_EVENTS if event in templates]
    if not template_ids:
        return None
    return {"template": "wechat/shop/_subscribe.html", "template_ids": ",".join(template_ids)}


@router.post("/me/wechat/subscriptions")
async def report_subscriptions(request: Request, user: PageUser, session: DbSession) -> Response:
    """The open tag's ``subscribeDetails`` as the page parsed it: ``kind`` and ``results``
    (a JSON object of template id → accept|reject|ban|filter). Answers the standing."""
    form = await posted_values(request)
    try:
        body = SubscriptionsIn.model_validate(
            {"kind": form.get("kind"), "results": json.loads(str(form.get("results", "")))}
        )
    except (ValueError, ValidationError):
        raise InvalidInput("not a subscription report", code="invalid_report") from None
    found = await subscriptions.record(
        session, get_runtime(request).settings, user.id, body.kind, dict(body.results), utcnow()
    )
    return JSONResponse(
        [
            {"event": row.event, "template_id": row.template_id, "remaining": row.remaining}
            for row in found
        ]
    )
