"""The state machines of coupon templates, shoppers' coupons and full-reduction rules."""

from __future__ import annotations

from weshop.core.state import StateMachine
from weshop.promotions.models import CouponStatus as C
from weshop.promotions.models import ReductionStatus as R
from weshop.promotions.models import TemplateStatus as T

TEMPLATE_MACHINE: StateMachine[T] = StateMachine(
    "coupon template",
    {
        (T.ACTIVE, "pause"): T.PAUSED,
        (T.PAUSED, "resume"): T.ACTIVE,
        (T.ACTIVE, "end"): T.ENDED,
        (T.PAUSED, "end"): T.ENDED,
    },
)

COUPON_MACHINE: StateMachine[C] = StateMachine(
    "coupon",
    {
        (C.AVAILABLE, "lock"): C.LOCKED,  # an order is placed with it
        (C.LOCKED, "use"): C.USED,  # the order is paid
        (C.LOCKED, "return"): C.AVAILABLE,  # the order is cancelled before payment
        (C.USED, "restore"): C.AVAILABLE,  # the order is refunded, if the template allows
        (C.AVAILABLE, "expire"): C.EXPIRED,
    },
)

REDUCTION_MACHINE: StateMachine[R] = StateMachine(
    "full reduction",
    {
        (R.ACTIVE, "pause"): R.PAUSED,
        (R.PAUSED, "resume"): R.ACTIVE,
    },
)
