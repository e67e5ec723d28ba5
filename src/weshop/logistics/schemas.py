from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.core.money import Fen
from weshop.core.regions import PROVINCES
from weshop.logistics.models import ChargeBy, ShippingTemplate

MAX_RULES = len(PROVINCES) + 1

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
# Checked against the fixed list by the service, which answers with a specific error code.
Province = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Provinces = Annotated[list[Province], Field(max_length=len(PROVINCES))]
Units = Annotated[
    StrictInt, Field(ge=1, le=1_000_000, description="Pieces, or grams when charged by weight.")
]


class ShippingRuleIn(BaseModel):
    """The fee for some provinces: `first_fee_fen` covers the first `first_units`, then each
    further `additional_units` (or part of them) costs `additional_fee_fen`."""

    model_config = ConfigDict(extra="forbid")
    provinces: Provinces = Field(
        default_factory=list,
        description="Full names, e.g. 浙江省, 北京市, 广西壮族自治区. Empty: the default rule "
        "for every province no other rule names (exactly one is required).",
    )
    first_units: Units
    first_fee_fen: Fen
    additional_units: Units
    additional_fee_fen: Fen


class ShippingTemplateChange(BaseModel):
    """A whole template (replaced as a whole)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    charge_by: ChargeBy
    rules: list[ShippingRuleIn] = Field(min_length=1, max_length=MAX_RULES)
    free_over_fen: Fen | None = Field(
        default=None, description="Shipping is free once the store's goods payable reaches this."
    )
    unreachable_provinces: Provinces = Field(
        default_factory=list, description="Provinces this template does not deliver to."
    )


class ShippingTemplateIn(ShippingTemplateChange):
    is_default: bool = Field(
        default=False,
        description="Make it the store's default (the first template always becomes it).",
    )


class ShippingRuleOut(BaseModel):
    provinces: list[str]
    first_units: int
    first_fee_fen: int
    additional_units: int
    additional_fee_fen: int


class ShippingTemplateOut(BaseModel):
    id: int
    store_id: int
    name: str
    charge_by: ChargeBy
    rules: list[ShippingRuleOut]
    free_over_fen: int | None
    unreachable_provinces: list[str]
    is_default: bool = Field(description="Products without a template of their own use it.")
    created_at: datetime
    updated_at: datetime


def template_out(template: ShippingTemplate) -> ShippingTemplateOut:
    return ShippingTemplateOut(
        id=template.id,
        store_id=template.store_id,
        name=template.name,
        charge_by=template.charge_by,
        rules=[ShippingRuleOut(**rule) for rule in template.rules],
        free_over_fen=template.free_over_fen,
        unreachable_provinces=list(template.unreachable_provinces),
        is_default=template.is_default,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


class CarrierOut(BaseModel):
    code: str
    name: str


class PushAck(BaseModel):
    """The acknowledgement a tracking provider expects (Kuaidi100's shape)."""

    result: bool
    returnCode: str  # the provider's field name
    message: str


Text30 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class PickupPointIn(BaseModel):
    """A pickup point (自提点), written whole. ``is_active`` false hides it from checkout;
    points are never deleted, since orders name them."""

    model_config = ConfigDict(extra="forbid")
    name: Text30
    province: Province = Field(description="Full official name, e.g. 浙江省.")
    city: Text30
    district: Annotated[str, StringConstraints(strip_whitespace=True, max_length=30)] = ""
    address: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ] = Field(description="Street, building and where in it, e.g. 文三路 100 号 1 楼前台.")
    opening_hours: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ] = Field(description="As shoppers should read it, e.g. 每天 09:00-21:00.")
    phone: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9][0-9\- ]{4,18}[0-9]$")
    ] = Field(description="The point's business phone (a mobile or a landline with area code).")
    is_active: bool = True


class PickupPointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    store_id: int
    name: str
    province: str
    city: str
    district: str
    address: str
    opening_hours: str
    phone: str
    is_active: bool
