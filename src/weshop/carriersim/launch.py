"""What ``weshop carriersim`` tells its user: how to point WeShop at it."""

from __future__ import annotations

from weshop.carriersim.simulator import CarrierSim


def banner(sim: CarrierSim, base_url: str) -> str:
    return "\n".join(
        [
            "",
            "WeShop carriersim: a local simulator of Kuaidi100's parcel tracking",
            f"  Listening at      {base_url}  (POST /poll, POST /poll/query.do)",
            f"  Pace              one stage every {sim.pace.total_seconds():g} s "
            "(揽收 → 运输中 → 派送中 → 已签收)",
            "",
            "Point WeShop at it:",
            f"  WESHOP_KUAIDI100_API_BASE_URL={base_url}",
            f"  WESHOP_KUAIDI100_CUSTOMER={sim.customer}",
            f"  WESHOP_KUAIDI100_KEY={sim.key}",
            "",
        ]
    )
