"""Request and answer bodies of WeChat messages: consents, templates, the message log and
staff preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.wechat.models import MessageChannel, MessageStatus, SubscribeResult

AppKindField = Literal["official", "miniprogram"]
TemplateId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
SubscriptionEvent = Literal[
    "order_paid",
    "order_shipped",
    "order_delivered",
    "refund_succeeded",
    "group_completed",
    "group_failed",
    "bargain_floor_reached",
]
StaffEvent = Literal["new_order", "aftersales_requested", "low_stock"]


class SubscriptionsIn(BaseModel):
    """What WeChat reported when the shopper was asked: ``wx.requestSubscribeMessage``'s
    answer in a mini-program, or the ``<wx-open-subscribe>`` tag's ``subscribeDetails`` on
    a page of the official account, as ``{template_id: status}``."""

    model_config = ConfigDict(extra="forbid")
    kind: AppKindField = Field(description="The app that asked: 'miniprogram' or 'official'.")
    results: dict[TemplateId, SubscribeResult] = Field(
        min_length=1,
        max_length=10,
        description="Each template asked about and WeChat's answer: accept, reject, ban or "
        "filter. Each accept allows one message of that template.",
    )


class StandingOut(BaseModel):
    kind: AppKindField
    event: SubscriptionEvent
    template_id: str
    remaining: int = Field(description="Messages of this template the shopper still allows.")
    last_result: SubscribeResult | None = Field(
        description="What WeChat last reported for this template; null: never asked."
    )


class SubscribeTemplateOut(BaseModel):
    event: SubscriptionEvent
    template_id: str


class SubscribeTemplatesOut(BaseModel):
    kind: AppKindField
    appid: str | None = Field(description="The platform's app of this kind; null: none.")
    templates: list[SubscribeTemplateOut]


class MessageOut(BaseModel):
    id: int
    channel: MessageChannel
    event: str
    recipient: str = Field(description="Who it was for, masked (name or phone).")
    openid: str = Field(description="The recipient's openid under the app, masked.")
    appid: str
    template_id: str
    status: MessageStatus = Field(
        description="sent; no_consent (no subscription left: not sent); refused (43101 no "
        "subscription at WeChat, 43004 not following); failed (47003 bad data, other errors, "
        "or WeChat unreachable after every try)."
    )
    errcode: int | None
    errmsg: str
    attempts: int
    created_at: datetime


class StaffPreferenceOut(BaseModel):
    event: StaffEvent
    enabled: bool
    configured: bool = Field(description="Whether the installation has a template for it.")


class StaffPreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: StaffEvent
    enabled: bool
