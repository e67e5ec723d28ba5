from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.tenancy import StoreScope
from weshop.logistics import pickup_points as pickup
from weshop.logistics import service
from weshop.logistics.schemas import (
    PickupPointIn,
    PickupPointOut,
    ShippingTemplateChange,
    ShippingTemplateIn,
    ShippingTemplateOut,
    template_out,
)
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission
from weshop.web.response_cache import cached_response

merchant = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/shipping-templates",
    tags=["merchant: shipping"],
)

TemplateId = Annotated[int, Path(ge=1, le=MAX_ID, description="Shipping template id.")]

# Templates are part of setting up products: whoever may read the catalogue may read them.
Reader = staff_with(Permission.CATALOG_READ)
Writer = staff_with(Permission.SHIPPING_WRITE)


@merchant.get("", response_model=list[ShippingTemplateOut])
async def list_templates(session: DbSession, scope: StoreScope = Reader):
    """The store's shipping templates, oldest first; `is_default` marks the default."""
    return [template_out(t) for t in await service.list_templates(session, scope)]


@merchant.post("", status_code=status.HTTP_201_CREATED, response_model=ShippingTemplateOut)
async def create_template(body: ShippingTemplateIn, session: DbSession, scope: StoreScope = Writer):
    """Add a template: rules for groups of provinces plus exactly one default rule (no
    provinces), optional free shipping over an amount, and provinces it does not reach.
    The store's first template becomes its default."""
    return template_out(await service.create_template(session, scope, body))


@merchant.get("/{shipping_template_id}", response_model=ShippingTemplateOut)
async def get_template(
    shipping_template_id: TemplateId, session: DbSession, scope: StoreScope = Reader
):
    """One shipping template."""
    return template_out(await service.get_template(session, scope, shipping_template_id))


@merchant.put("/{shipping_template_id}", response_model=ShippingTemplateOut)
async def replace_template(
    shipping_template_id: TemplateId,
    body: ShippingTemplateChange,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Replace a template's name, rules, free-shipping amount and unreachable provinces.
    Products using it are priced by the new rules from now on."""
    return template_out(await service.replace_template(session, scope, shipping_template_id, body))


@merchant.post("/{shipping_template_id}/default", response_model=ShippingTemplateOut)
async def set_default_template(
    shipping_template_id: TemplateId, session: DbSession, scope: StoreScope = Writer
):
    """Make this the store's default template (the previous default stops being one)."""
    return template_out(await service.set_default(session, scope, shipping_template_id))


@merchant.delete("/{shipping_template_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_template(
    shipping_template_id: TemplateId, session: DbSession, scope: StoreScope = Writer
) -> None:
    """Delete a template. One that products use answers 409 `template_in_use`; the default,
    while other templates exist, answers 409 `template_is_default`."""
    await service.delete_template(session, scope, shipping_template_id)


pickup_points = APIRouter(
    prefix="/api/v1/merchant/stores/{store_id}/pickup-points", tags=["merchant: pickup"]
)
shop_pickup_points = APIRouter(prefix="/api/v1/shop/stores/{store_id}", tags=["shop"])

PickupPointId = Annotated[int, Path(ge=1, le=MAX_ID, description="Pickup point id.")]
StoreIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Store id.")]
# Pickup staff read the points; whoever sets shipping up writes them.
PointReader = staff_with(Permission.ORDERS_READ)


@pickup_points.get("", response_model=list[PickupPointOut])
async def list_pickup_points(session: DbSession, scope: StoreScope = PointReader):
    """The store's pickup points (自提点), active or not, oldest first."""
    return await pickup.list_points(session, scope)


@pickup_points.post("", status_code=status.HTTP_201_CREATED, response_model=PickupPointOut)
async def create_pickup_point(body: PickupPointIn, session: DbSession, scope: StoreScope = Writer):
    """Add a pickup point. The province is a full official name (422 `unknown_province`);
    names are unique in the store (409 `duplicate_pickup_point_name`); at most 100 points
    (409 `too_many`)."""
    return await pickup.create_point(session, scope, body)


@pickup_points.get("/{pickup_point_id}", response_model=PickupPointOut)
async def get_pickup_point(
    pickup_point_id: PickupPointId, session: DbSession, scope: StoreScope = PointReader
):
    """One pickup point."""
    return await pickup.get_point(session, scope, pickup_point_id)


@pickup_points.put("/{pickup_point_id}", response_model=PickupPointOut)
async def replace_pickup_point(
    pickup_point_id: PickupPointId,
    body: PickupPointIn,
    session: DbSession,
    scope: StoreScope = Writer,
):
    """Replace a pickup point's details; `is_active: false` takes it out of checkout. Orders
    already placed for it keep the details they were placed with."""
    return await pickup.replace_point(session, scope, pickup_point_id, body)


@shop_pickup_points.get("/pickup-points", response_model=list[PickupPointOut])
@cached_response()
async def shop_pickup_points_of(store_id: StoreIdPath, session: DbSession):
    """An active store's open pickup points, to choose from at checkout (自提)."""
    return await pickup.public_points(session, store_id)
