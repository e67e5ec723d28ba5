"""What a payment is called at the provider, as the payer sees it in WeChat: Chinese, with
the store's name, e.g. ``山野农场 - 订单 O20261206…``. WeChat Pay takes at most 127 bytes
(UTF-8: about 42 Chinese characters), so a long store name is shortened, never the number."""

from __future__ import annotations

from collections.abc import Sequence

DESCRIPTION_MAX_BYTES = 127
ELLIPSIS = "…"


def _within(name: str, suffix: str) -> str:
    budget = DESCRIPTION_MAX_BYTES - len(suffix.encode())
    if len(name.encode()) <= budget:
        return name + suffix
    while name and len((name + ELLIPSIS).encode()) > budget:
        name = name[:-1]
    return name + ELLIPSIS + suffix


def order_description(store_name: str, order_no: str) -> str:
    """One store's order."""
    return _within(store_name, f" - 订单 {order_no}")


def checkout_description(store_names: Sequence[str], checkout_no: str) -> str:
    """A combined payment of a checkout's orders: the stores, then the checkout's number."""
    names = "、".join(dict.fromkeys(store_names))
    return _within(names, f" - 合并支付 {checkout_no}")
