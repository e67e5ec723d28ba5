from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.accounts.schemas import PhoneNumber, SessionOut, UserOut
from weshop.wechat.models import MessageChannel, MessageStatus, SubscribeResult

# What wx.login and getPhoneNumber give a mini-program: an opaque code, used once.
WechatCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$"),
    Field(description="The code a mini-program got from wx.login / getPhoneNumber."),
]
AppId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$"),
    Field(description="A store's own mini-program; the platform's when left out."),
]


class MiniProgramSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: WechatCode
    appid: AppId | None = None


class WechatSessionOut(SessionOut):
    phone_bound: bool = Field(
        description="Whether the account has a verified phone; if not, ask for one with "
        "POST /api/v1/me/wechat/phone (getPhoneNumber) or POST /api/v1/me/phone (SMS code)."
    )


class PhoneCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: WechatCode
    appid: AppId | None = None


class PhoneVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: PhoneNumber
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class PhoneBound(BaseModel):
    merged: bool = Field(
        description="True when the phone already had an account: this one was merged into it "
        "(its orders, cart and WeChat sign-ins are now that account's; the same token works)."
    )
    user: UserOut


# Messages: consents, templates, the message log and staff preferences (wechat.subscriptions,
# wechat.message_log).

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
