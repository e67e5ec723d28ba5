"""No database here: the simulator in memory, with a settable clock."""

from tests.paysim.fixtures import (  # noqa: F401
    cashier,
    clean_state,
    clock,
    direct,
    inbox,
    merchant_keys,
    partner,
    platform,
    sim,
    sim_app,
    transport,
)
