"""The simulator as an ASGI app: WeChat's server APIs at their paths, the authorise page, the
JS-SDK script, and wxsim's own pages and hooks under ``/wxsim``."""

from __future__ import annotations

from fastapi import FastAPI

from weshop.wxsim import api, authorize, avatars, hooks
from weshop.wxsim.errors import WxError
from weshop.wxsim.routing import wx_error
from weshop.wxsim.simulator import WxSim


def create_app(sim: WxSim) -> FastAPI:
    app = FastAPI(
        title="WeShop wxsim",
        description="A local simulator of the WeChat platform APIs that WeShop calls.",
        openapi_url=None,
    )
    app.state.wxsim = sim
    app.add_exception_handler(WxError, wx_error)
    for router in (api.router, authorize.router, hooks.router, avatars.router):
        app.include_router(router)
    return app
