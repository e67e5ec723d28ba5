"""What the sharing endpoints answer: wx.config, a share card's link, a scene read back."""

from __future__ import annotations

from pydantic import BaseModel, Field

from weshop.affiliates.links import TargetKind


class JsConfigOut(BaseModel):
    """Pass as is to ``wx.config`` (the JS-SDK's field names)."""

    appId: str = Field(description="The official account's appid.")
    timestamp: int = Field(description="Seconds since the epoch, as signed.")
    nonceStr: str = Field(description="The random string signed.")
    signature: str = Field(
        description="SHA-1 of jsapi_ticket, noncestr, timestamp and url (keys in ASCII "
        "order, values raw), the url without its #fragment."
    )
    jsApiList: list[str] = Field(description="The JS interfaces WeShop's pages call.")
    openTagList: list[str] = Field(description="The open tags WeShop's pages use.")


class SharedLinkOut(BaseModel):
    link: str = Field(
        description="The absolute address the share card opens: the page's own, or the "
        "promoter's share link (/r/<code>) when the visitor is a promoter who may promote "
        "it or came through a promoter's link to its store within the binding window."
    )
    promoter_code: str | None = Field(description="That promoter's share code, if any.")
    link_code: str | None = Field(description="That share link's code, if any.")


class SceneOut(BaseModel):
    kind: TargetKind = Field(description="What the code opens.")
    id: int = Field(description="The product, store, group, bargain or flash-sale item id.")
    page: str = Field(description="The mini-program page the code opens.")
    h5_path: str = Field(description="The same target's storefront page.")
    link_code: str | None = Field(
        description="The promoter's share link the code carries: record the visit with "
        "POST /api/v1/shop/referrals/{code} once the shopper is signed in."
    )
