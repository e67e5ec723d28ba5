from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.core.urls import WebUrl
from weshop.stores.models import Role, StaffStatus, StoreStatus

StoreName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StoreName
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    owner_phone: PhoneNumber = Field(description="The owner signs in with this phone.")
    owner_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StoreName | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    logo_url: WebUrl | None = None
    payment_window_minutes: StrictInt | None = Field(
        default=None, ge=5, le=24 * 60, description="How long an order waits for payment."
    )
    auto_confirm_days: StrictInt | None = Field(
        default=None, ge=1, le=60, description="Days after shipping until receipt is confirmed."
    )
    auto_confirm_after_delivery_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=30,
        description="Days after the carrier delivered every package until receipt is "
        "confirmed, when that is sooner than auto_confirm_days after shipping.",
    )
    aftersales_days: StrictInt | None = Field(default=None, ge=0, le=90)


class StoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    logo_url: str
    status: StoreStatus
    payment_window_minutes: int
    auto_confirm_days: int
    auto_confirm_after_delivery_days: int
    aftersales_days: int
    created_at: datetime


class PublicStoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    logo_url: str
    status: StoreStatus


class MyStoreOut(BaseModel):
    store: StoreOut
    role: Role
    permissions: list[str]


class StaffInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: PhoneNumber
    role: Role


class StaffRoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class StaffOut(BaseModel):
    id: int
    store_id: int
    user_id: int
    phone: str = Field(description="Masked.")
    display_name: str
    role: Role
    status: StaffStatus
    created_at: datetime


class InvitationOut(BaseModel):
    id: int
    store: PublicStoreOut
    role: Role
