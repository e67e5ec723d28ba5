"""What the pages call each state, kind and action (English ids, translated)."""

from __future__ import annotations

from weshop.aftersales.models import RequestKind, RequestStatus
from weshop.web.errors import N_

STATUS_NAMES = {
    RequestStatus.REQUESTED: N_("Waiting for the store"),
    RequestStatus.PROPOSED: N_("The store proposed an amount"),
    RequestStatus.REJECTED: N_("Rejected by the store"),
    RequestStatus.AWAITING_RETURN: N_("Approved: send the goods back"),
    RequestStatus.RETURN_SHIPPED: N_("Goods on their way back"),
    RequestStatus.AWAITING_EXCHANGE: N_("Goods received: the new item ships soon"),
    RequestStatus.DISPUTED: N_("The platform is deciding"),
    RequestStatus.REFUNDING: N_("Refund on its way"),
    RequestStatus.REFUNDED: N_("Refunded"),
    RequestStatus.EXCHANGED: N_("Exchanged"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
    RequestStatus.CLOSED: N_("Closed"),
}
KIND_NAMES = {
    RequestKind.REFUND_ONLY: N_("Refund only"),
    RequestKind.RETURN_AND_REFUND: N_("Return and refund"),
    RequestKind.EXCHANGE: N_("Exchange"),
}
STEP_NAMES = {
    "request": N_("Asked"),
    "approve_refund": N_("Approved"),
    "approve_return": N_("Approved"),
    "reject": N_("Rejected"),
    "propose": N_("Proposed an amount"),
    "edit": N_("Changed the amount"),
    "accept_refund": N_("Accepted the proposal"),
    "accept_return": N_("Accepted the proposal"),
    "withdraw": N_("Withdrawn"),
    "expire": N_("Closed: no answer in time"),
    "escalate": N_("Asked the platform to decide"),
    "decide_refund": N_("The platform decided: refund"),
    "decide_reject": N_("The platform decided: no refund"),
    "ship_return": N_("Sent the goods back"),
    "receive_refund": N_("Received the goods"),
    "receive_exchange": N_("Received the goods"),
    "ship_exchange": N_("Shipped the new item"),
    "refund_succeeded": N_("Refund arrived"),
    "lower_to_left": N_("Lowered to what is left to refund"),
    "close_nothing_left": N_("Closed: nothing left to refund"),
}
ACTOR_NAMES = {
    "shopper": N_("Shopper"),
    "staff": N_("Store"),
    "platform": N_("Platform"),
    "system": N_("System"),
    "payment": N_("Payment"),
}
