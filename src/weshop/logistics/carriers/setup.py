"""The installation's parcel tracker: the one place that decides whether parcels are followed.

Kuaidi100 is used when ``WESHOP_KUAIDI100_KEY`` is set, at ``WESHOP_KUAIDI100_API_BASE_URL``
(Kuaidi100 itself, or the carrier simulator's URL in the demo and tests). Without it, shipped
parcels are recorded but not followed: no subscription, no query, and pushes answer 404.
"""

from __future__ import annotations

from weshop.core.config import Settings
from weshop.core.crypto import derive_key
from weshop.logistics.carriers.base import ParcelTracker
from weshop.logistics.carriers.kuaidi100 import Kuaidi100Tracker

COMPONENT = "parcel_tracker"


def build_parcel_tracker(settings: Settings) -> ParcelTracker | None:
    if settings.kuaidi100_key is None:
        return None
    return Kuaidi100Tracker(
        customer=settings.kuaidi100_customer,
        key=settings.kuaidi100_key.get_secret_value(),
        # The salt signs pushes; derived, so every process of the installation agrees on it.
        salt=derive_key(settings.resolved_secret(), "weshop/kuaidi100/push-salt", 16).hex(),
        base_url=settings.kuaidi100_api_base_url,
        timeout_seconds=settings.kuaidi100_timeout_seconds,
    )
