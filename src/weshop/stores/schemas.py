from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.core.ids import RowId
from weshop.core.urls import WebUrl
from weshop.stores.models import ApplicationStatus, Role, StaffStatus, StoreStatus

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


# The main categories an applicant picks from (until the platform's category tree exists).
MAIN_CATEGORIES: dict[str, str] = {
    "fresh_food": "Fresh produce",
    "snacks": "Snacks and drinks",
    "apparel": "Clothing and shoes",
    "beauty": "Beauty and personal care",
    "home": "Home and kitchen",
    "mother_baby": "Mother and baby",
    "digital": "Phones and electronics",
    "crafts": "Local specialties and crafts",
}
MainCategory = Literal[
    "fresh_food", "snacks", "apparel", "beauty", "home", "mother_baby", "digital", "crafts"
]
MAX_LICENCE_IMAGES = 3
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store_name: StoreName
    main_category: MainCategory
    contact_name: PersonName
    contact_phone: PhoneNumber
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    licence_image_ids: list[RowId] = Field(
        min_length=1,
        max_length=MAX_LICENCE_IMAGES,
        description="Business licence images uploaded with "
        "`POST /api/v1/me/store-application-images` (1 to 3).",
    )


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class LicenceImageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    content_type: str
    sha256: str


class ApplicationOut(BaseModel):
    id: int
    store_name: str
    main_category: str
    contact_name: str = Field(description="Masked unless the applicant asks.")
    contact_phone: str = Field(description="Masked unless the applicant asks.")
    description: str
    status: ApplicationStatus
    reject_reason: str
    submitted_at: datetime
    reviewed_at: datetime | None
    store_id: int | None = Field(description="The store opened on approval.")
    licence_image_ids: list[int]
