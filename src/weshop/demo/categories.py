"""The demo's platform category tree, made by the operator through the API, and which
platform category each demo store category maps onto."""

from __future__ import annotations

from typing import Any

# Top-level platform categories and their children, in the order the console shows them.
PLATFORM_TREE: dict[str, tuple[str, ...]] = {
    "食品": ("茶叶", "蜂蜜", "粮油", "干货"),
    "服饰": ("T恤", "卫衣", "牛仔裤", "袜子"),
    "家居": ("厨具", "收纳"),
}

# A demo store category -> the platform sub-category it maps onto.
STORE_MAPPING: dict[str, str] = {
    "茶叶": "茶叶",
    "蜂蜜": "蜂蜜",
    "米面杂粮": "粮油",
    "山珍干货": "干货",
    "T恤": "T恤",
    "卫衣": "卫衣",
    "牛仔裤": "牛仔裤",
    "袜子": "袜子",
}


async def seed_platform_categories(seeder: Any, operator: dict[str, str]) -> dict[str, int]:
    """Create the tree; returns the ids of its sub-categories by name."""
    ids: dict[str, int] = {}
    for top_order, (top, children) in enumerate(PLATFORM_TREE.items()):
        body = {"name": top, "sort_order": top_order}
        parent = await seeder.call("/api/v1/platform/categories", operator, body)
        for order, name in enumerate(children):
            body = {"name": name, "parent_id": parent["id"], "sort_order": order}
            ids[name] = (await seeder.call("/api/v1/platform/categories", operator, body))["id"]
    return ids
