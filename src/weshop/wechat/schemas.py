from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.accounts.schemas import PhoneNumber, SessionOut, UserOut

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
