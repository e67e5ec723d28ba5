"""Row ids: positive integers that fit a BigInteger. Anything else is refused as input (4xx)
before it reaches a database that would overflow on it. In a body an id is a JSON integer
(strict: ``"5"``, ``5.0`` and ``true`` are refused); in a path it is text by nature."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field, StrictInt

MAX_ID = 2**63 - 1

RowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

# Path ids of entities that the routes of more than one domain address.
ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Product id.")]
SkuId = Annotated[int, Path(ge=1, le=MAX_ID, description="SKU id.")]
