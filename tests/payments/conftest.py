"""WeShop with WeChat Pay in partner mode against the simulator, mounted in-process (the
``wechatpay`` fixture); the simulator's clock follows WeShop's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.payments.in_wechat import installation, wx  # noqa: F401
from tests.paysim.fixtures import (  # noqa: F401
    NOTIFY_URL,
    FakeClock,
    cashier,
    direct,
    inbox,
    merchant_keys,
    partner,  # the fixture below uses this one
    platform,
    sim,
    sim_app,
    transport,
)
from weshop.core.clock import utcnow
from weshop.payments.wechatpay.provider import WechatPay, WechatPayProvider


@pytest.fixture
def clock() -> FakeClock:
    # The simulator checks request timestamps against its clock: keep it on WeShop's.
    return FakeClock(utcnow())


@pytest.fixture
def wechatpay(runtime, partner: WechatPay) -> Iterator[WechatPayProvider]:  # noqa: F811
    """The runtime's WeChat Pay provider for one test: the platform's, in partner mode."""
    providers = runtime.components["payment_providers"]
    provider = WechatPayProvider(
        partner, notify_url=NOTIFY_URL, trade_type="h5", merchant_name="WeShop 测试平台"
    )
    providers["wechatpay"] = provider
    yield provider
    del providers["wechatpay"]
