"""The simulator as an ASGI app: WeChat's server APIs at their paths, the authorise page, the
JS-SDK script, and wxsim's own pages and hooks under ``/wxsim``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from weshop.wxsim import api, authorize, avatars, hooks, jssdk_api, pages
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
    for router in (
        api.router,
        authorize.router,
        jssdk_api.router,
        hooks.router,
        pages.router,
        avatars.router,
    ):
        app.include_router(router)
    # The JS-SDK script runs on WeShop's pages and asks wxsim as the WeChat browser would,
    # with the browser's WeChat user (a cookie): any origin, with credentials.
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=".*",
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
    )
    return app
