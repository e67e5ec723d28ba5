from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID
from weshop.core.tenancy import StoreScope
from weshop.logistics import service
from weshop.logistics.schemas import (
    ShippingTemplateChange,
    ShippingTemplateIn,
    ShippingTemplateOut,
    template_out,
)
from weshop.stores.access import staff_with
from weshop.stores.permissions import Permission

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
