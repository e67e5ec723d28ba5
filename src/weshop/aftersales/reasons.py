"""Why a shopper asks: a fixed list of codes, each with its Chinese label."""

from __future__ import annotations

REASONS: dict[str, str] = {
    "changed_mind": "不想要了/拍错了",
    "damaged": "商品破损",
    "quality": "质量问题",
    "not_as_described": "与描述不符",
    "missing_items": "少件/漏发",
    "not_received": "未收到货",
    "other": "其他",
}
