"""What goes over the wire for applications to open a store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from weshop.accounts.schemas import PhoneNumber
from weshop.core.ids import RowId
from weshop.stores.models import ApplicationStatus
from weshop.stores.schemas import StoreName

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
        "`POST /api/v1/me/store-applications/images` (1 to 3).",
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
