"""The merchant console's 小程序码: the store's mini-program code and each product's, to
look at and download (for printed material, shelves, parcels' cards)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from weshop.affiliates.links import Target, TargetKind
from weshop.catalog import service as catalog
from weshop.catalog.models import Product
from weshop.core.errors import NotFound
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.core.pagination import page_of
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff
from weshop.stores.permissions import Permission
from weshop.web.csrf import verify_csrf
from weshop.wechat import codes

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.CATALOG_READ)
PAGE_SIZE = 20
SECTION = "miniprogram_codes"


@router.get("/miniprogram-codes")
async def codes_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    access: ConsoleAccess = Reader,
) -> Response:
    """The store's code and its products, newest first, each with its code to download."""
    configured = codes.miniprogram_of_store(runtime.settings, access.store.id) is not None
    found = await catalog.list_products(
        session,
        access.scope,
        status=None,
        category_id=None,
        q=None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    page = page_of(found.rows, PAGE_SIZE, lambda row: row)
    return console_page(
        request,
        "wechat/console/codes.html",
        access,
        SECTION,
        {"configured": configured, "products": page.items, "next_cursor": page.next_cursor},
    )


def _image(image: codes.StoreCode, name: str, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(
        image.data,
        media_type=image.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}.{image.extension}"',
            "Cache-Control": "private, max-age=300",
        },
    )


DownloadFlag = Annotated[int, Query(ge=0, le=1, description="1: as a download.")]


@router.get("/miniprogram-codes/store")
async def store_code(
    runtime: RuntimeDep, download: DownloadFlag = 0, access: ConsoleAccess = Reader
) -> Response:
    """The store's code, shown (or downloaded with ``download=1``)."""
    store_id = access.store.id
    scene = codes.Scene(Target(TargetKind.STORE, store_id))
    image = await codes.store_code(runtime, store_id, scene)
    return _image(image, f"store-{store_id}", bool(download))


@router.get("/miniprogram-codes/products/{product_id}")
async def product_code(
    product_id: PathId,
    session: DbSession,
    runtime: RuntimeDep,
    download: DownloadFlag = 0,
    access: ConsoleAccess = Reader,
) -> Response:
    """A product's code; another store's product is a 404."""
    product = await session.get(Product, product_id)
    if product is None or product.store_id != access.store.id:
        raise NotFound("no such product in this store")
    scene = codes.Scene(Target(TargetKind.PRODUCT, product_id))
    image = await codes.store_code(runtime, access.store.id, scene)
    return _image(image, f"product-{product_id}", bool(download))
