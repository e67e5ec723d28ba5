"""Sharing in WeChat over HTTP: the JS-SDK config and the share card's link for storefront
pages, scenes of mini-program codes read back, and the codes of a store and its products for
its staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from weshop.accounts import service as accounts
from weshop.accounts.page_session import optional_page_user
from weshop.affiliates.clicks import VISITOR_COOKIE, valid_visitor_id
from weshop.affiliates.links import Target, TargetKind
from weshop.catalog.models import Product
from weshop.catalog.web import absolute
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput, NotFound, Unauthenticated
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import MAX_ID, PathId
from weshop.core.openapi import raises
from weshop.core.tenancy import StoreScope
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.wechat import codes, jssdk, sharing
from weshop.wechat.apps import wechat_apps
from weshop.wechat.client import wechat_client
from weshop.wechat.errors import WechatApiError, WechatNotConfigured
from weshop.wechat.share_schemas import JsConfigOut, SceneOut, SharedLinkOut

shop = APIRouter(prefix="/api/v1/wechat", tags=["wechat"])
merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}", tags=["merchant: mini-program codes"]
)

CatalogReader = staff_with(Permission.CATALOG_READ)
NOT_KEPT = {"Cache-Control": "no-store"}
Width = Annotated[
    int,
    Query(
        ge=codes.MIN_WIDTH,
        le=codes.MAX_WIDTH,
        description="The code's width in pixels (WeChat's 280-1280).",
    ),
]
PNG_ANSWER = {
    200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The code's image."}
}


@shop.get("/js-config", response_model=JsConfigOut)
@raises(jssdk.ForeignUrl, WechatNotConfigured, WechatApiError)
async def js_config(
    url: Annotated[
        str,
        Query(
            min_length=1,
            max_length=jssdk.MAX_URL_LENGTH,
            description="The page's address as the browser shows it (location.href); its "
            "#fragment is left out.",
        ),
    ],
    runtime: RuntimeDep,
):
    """`wx.config` for a storefront page opened in WeChat, signed with the official
    account's jsapi_ticket. Only pages of this installation (its public address or allowed
    hosts) are signed: another address answers 403 `foreign_url`. Without an official
    account: 404 `wechat_not_configured`. Never kept by any cache."""
    app = wechat_apps(runtime.settings).official
    if app is None:
        raise WechatNotConfigured("this installation has no official account")
    config = await jssdk.js_config(wechat_client(runtime), app, url, utcnow(), runtime.settings)
    return JSONResponse(
        JsConfigOut.model_validate(config, from_attributes=True).model_dump(), headers=NOT_KEPT
    )


@shop.get("/share-link", response_model=SharedLinkOut)
@raises(NotFound)
async def share_link(
    kind: Annotated[TargetKind, Query(description="What the page shows.")],
    id: Annotated[int, Query(ge=1, le=MAX_ID, description="Its id.")],
    request: Request,
    runtime: RuntimeDep,
):
    """The link the visitor's share card of a page carries: the page's address, or a
    promoter's share link (the visitor's own when they are an approved promoter who may
    promote it; else that of the promoter whose link brought them to the store within the
    binding window). Reads the visitor's page session (or bearer token) and referral
    cookie. May make the promoter's link to the page (the same target always gives the same
    link). An unknown target answers 404."""
    visitor = request.cookies.get(VISITOR_COOKIE)
    async with runtime.db.session(write=True) as session, session.begin():
        user = await optional_page_user(request, session)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if user is None and scheme.lower() == "bearer" and token:
            # An app's or mini-program's visitor; optional, so not declared as required.
            try:
                user = await accounts.authenticate(session, token)
            except Unauthenticated:
                user = None
        found = await sharing.shared_link(
            session,
            Target(kind, id),
            user.id if user else None,
            visitor if valid_visitor_id(visitor) else None,
            utcnow(),
        )
    answer = SharedLinkOut(
        link=absolute(runtime, found.path),
        promoter_code=found.promoter_code,
        link_code=found.link_code,
    )
    return JSONResponse(answer.model_dump(), headers=NOT_KEPT)


@shop.get("/scenes/{scene}", response_model=SceneOut)
@raises(NotFound)
async def resolve_scene(
    scene: Annotated[
        str,
        Path(
            min_length=1,
            max_length=codes.SCENE_MAX_LENGTH,
            pattern=codes.SCENE_PATTERN,
            description="The scene the mini-program's page got (options.scene, decoded): a "
            "kind letter (p, s, g, b, f) and an id, then optionally '.' and a share link's "
            "code.",
        ),
    ],
    session: DbSession,
):
    """A mini-program code's scene read back, for the page's onLoad: what it opens and the
    promoter's share link it carries. A scene WeShop did not make answers 422; one naming a
    share link that does not exist, or leads elsewhere, 404."""
    found = await codes.resolve(session, scene)
    return SceneOut(
        kind=found.target.kind,
        id=found.target.id,
        page=found.page,
        h5_path=found.h5_path,
        link_code=found.link_code,
    )


def _download(image: codes.StoreCode, name: str) -> Response:
    return Response(
        image.data,
        media_type=image.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{image.extension}"',
            "Cache-Control": "private, max-age=300",
        },
    )


@merchant.get("/miniprogram-code", response_class=Response, responses=PNG_ANSWER)
@raises(WechatNotConfigured, WechatApiError, InvalidInput)
async def store_code(
    runtime: RuntimeDep, scope: StoreScope = CatalogReader, width: Width = codes.DEFAULT_WIDTH
):
    """The store's mini-program code (小程序码), opening the mini-program's store page
    (`pages/store/index`, scene `s<store_id>`), under the store's own mini-program or the
    platform's. Fetched from WeChat once per width, then kept. Without a mini-program:
    404 `wechat_not_configured`."""
    scene = codes.Scene(Target(TargetKind.STORE, scope.store_id))
    image = await codes.store_code(runtime, scope.store_id, scene, width)
    return _download(image, f"store-{scope.store_id}")


@merchant.get(
    "/products/{product_id}/miniprogram-code", response_class=Response, responses=PNG_ANSWER
)
@raises(NotFound, WechatNotConfigured, WechatApiError, InvalidInput)
async def product_code(
    product_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    scope: StoreScope = CatalogReader,
    width: Width = codes.DEFAULT_WIDTH,
):
    """A product's mini-program code (小程序码), opening the mini-program's product page
    (`pages/product/index`, scene `p<product_id>`). Another store's product answers 404."""
    product = await session.get(Product, product_id)
    if product is None or product.store_id != scope.store_id:
        raise NotFound("no such product in this store")
    scene = codes.Scene(Target(TargetKind.PRODUCT, product_id))
    image = await codes.store_code(runtime, scope.store_id, scene, width)
    return _download(image, f"product-{product_id}")
