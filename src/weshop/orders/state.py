"""The order state machine."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.orders.models import OrderStatus as S

ORDER_MACHINE: StateMachine[S] = StateMachine(
    "order",
    {
        (S.PENDING_PAYMENT, "pay"): S.PAID,
        (S.PENDING_PAYMENT, "cancel"): S.CANCELLED,
        (S.PENDING_PAYMENT, "expire"): S.CANCELLED,
        (S.PAID, "cancel_with_refund"): S.CANCELLED,
        # After-sales gave back every unit before any shipped.
        (S.PAID, "refund_all"): S.CANCELLED,
        (S.PAID, "ship_partly"): S.PARTIALLY_SHIPPED,
        (S.PAID, "ship"): S.SHIPPED,
        (S.PARTIALLY_SHIPPED, "ship_partly"): S.PARTIALLY_SHIPPED,
        (S.PARTIALLY_SHIPPED, "ship"): S.SHIPPED,
        (S.SHIPPED, "confirm_receipt"): S.COMPLETED,
        (S.SHIPPED, "auto_confirm"): S.COMPLETED,
        # A self-pickup order: staff verified its pickup code as the shopper collected it.
        (S.PAID, "pick_up"): S.COMPLETED,
    },
)
