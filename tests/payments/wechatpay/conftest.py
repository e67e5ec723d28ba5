"""No database here: the WeChat Pay client against the in-memory simulator."""

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
