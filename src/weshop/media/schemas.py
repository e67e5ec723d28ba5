from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MediaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    url: str = Field(description="Served by the app under /media.")
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
