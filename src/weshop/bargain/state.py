"""The state machines of bargaining, as transition tables (``core.state``)."""

from __future__ import annotations

from weshop.bargain.models import BargainState, CampaignStatus
from weshop.core.state import StateMachine

CAMPAIGN_MACHINE = StateMachine[CampaignStatus](
    "bargain campaign", {(CampaignStatus.ACTIVE, "stop"): CampaignStatus.STOPPED}
)

# A counted help moves in_progress → reached_floor inside the help's own compare-and-set
# (bargain.repository.apply_cut); the other moves go through this table.
BARGAIN_MACHINE = StateMachine[BargainState](
    "bargain",
    {
        (BargainState.IN_PROGRESS, "reach_floor"): BargainState.REACHED_FLOOR,
        (BargainState.IN_PROGRESS, "order"): BargainState.ORDERED,
        (BargainState.REACHED_FLOOR, "order"): BargainState.ORDERED,
        (BargainState.ORDERED, "pay"): BargainState.BOUGHT,
        (BargainState.BOUGHT, "refund"): BargainState.REFUNDED,
        # The order closed unpaid: back to where the bargain was, or expired past its window.
        (BargainState.ORDERED, "reopen"): BargainState.IN_PROGRESS,
        (BargainState.ORDERED, "reopen_at_floor"): BargainState.REACHED_FLOOR,
        (BargainState.ORDERED, "expire"): BargainState.EXPIRED,
        (BargainState.IN_PROGRESS, "expire"): BargainState.EXPIRED,
        (BargainState.REACHED_FLOOR, "expire"): BargainState.EXPIRED,
    },
)
