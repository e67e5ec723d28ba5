"""The session's app is an installation on wxsim's apps (tests/conftest.py): its official
account, its mini-program, and store 1's own mini-program. ``unconfigured`` makes it one
without them, for what an installation without WeChat does."""

from __future__ import annotations

import pytest

from weshop.paysim.identity import PLATFORM_APPID

OFFICIAL = PLATFORM_APPID
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)


@pytest.fixture
def unconfigured(runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation without an official account or mini-program (what sharing reads)."""
    monkeypatch.setattr(
        runtime,
        "settings",
        runtime.settings.model_copy(
            update={
                "wechat_official_appid": "",
                "wechat_miniprogram_appid": "",
                "wechat_store_apps": [],
            }
        ),
    )
