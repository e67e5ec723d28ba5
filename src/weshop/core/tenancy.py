"""The tenant scope: every query of store-owned rows made for staff goes through one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreScope:
    store_id: int
    actor_id: int
    role: str
