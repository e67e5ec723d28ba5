"""wxsim's own pages: the index (apps, users and their openids, token calls), each test
user's inbox, and the share cards pages set."""

from __future__ import annotations

from datetime import datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from weshop.core.clock import CHINA_TZ
from weshop.wxsim.apps import TestUser, WxApp
from weshop.wxsim.jssdk import SHARE_KINDS, Share
from weshop.wxsim.layout import page
from weshop.wxsim.messages import Message
from weshop.wxsim.routing import base_path, simulator_of
from weshop.wxsim.simulator import WxSim

router = APIRouter(prefix="/wxsim", tags=["wxsim pages"])
STREAM_PATHS = {
    "token": "/cgi-bin/token",
    "stable": "/cgi-bin/stable_token",
    "jsapi": "/cgi-bin/ticket/getticket",
}


def _moment(at: datetime) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _rows(pairs: list[tuple[str, str]], *, code: bool = False) -> str:
    wrap = (lambda text: f"<code>{escape(text)}</code>") if code else escape
    return "".join(f"<tr><td>{wrap(name)}</td><td>{wrap(value)}</td></tr>" for name, value in pairs)


def _app_row(sim: WxSim, app: WxApp) -> str:
    kind = "公众号" if app.kind == "official" else "小程序"
    cells = [
        f"<code>{escape(app.appid)}</code>",
        escape(app.name),
        kind,
        escape(app.open_platform or "未绑定"),
        str(sim.token_calls(app.appid)),
        str(sim.ticket_calls(app.appid)),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _user_card(sim: WxSim, user: TestUser) -> str:
    follows = "已关注公众号" if user.follows_official else "未关注公众号"
    openids = _rows([(appid, sim.openid_of(appid, user.key)) for appid in sim.apps], code=True)
    return f"""<div class="card"><div class="user">
<img src="{escape(sim.web.avatar_url(user.key))}" alt=""><span>{escape(user.nickname)}
<small>（{escape(user.key)}，{escape(user.phone)}，{follows}）</small></span></div>
<table>{openids}</table></div>"""


@router.get("", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    sim = simulator_of(request)
    root = base_path(request)
    apps = "".join(_app_row(sim, app) for app in sim.apps.values())
    users = "".join(_user_card(sim, user) for user in sim.users.values())
    recent = _rows(
        [
            (_moment(at), f"{appid} {STREAM_PATHS[stream]}")
            for at, appid, stream in reversed(sim.credentials.recent)
        ]
    )
    recent_calls = f"<table>{recent}</table>" if recent else '<p class="muted">还没有调用。</p>'
    body = f"""<p><a href="{root}/wxsim/inbox">消息收件箱</a> ·
<a href="{root}/wxsim/shares">分享卡片</a> ·
<a href="{root}/wxsim/stats">接口调用统计 (JSON)</a></p>
<h2>应用</h2><table><tr><th>AppID</th><th>名称</th><th>类型</th><th>开放平台</th>
<th>access_token 调用</th><th>jsapi_ticket 调用</th></tr>{apps}</table>
<h2>测试用户及其 openid</h2>{users}
<h2>最近的凭证调用</h2>{recent_calls}"""
    return page("wxsim 微信模拟器", body)


def _message_card(sim: WxSim, message: Message) -> str:
    sender = sim.apps[message.appid].name or message.appid
    link = f'<small class="muted">{escape(message.link)}</small>' if message.link else ""
    return f"""<div class="card"><b>{escape(message.title)}</b>
<small class="muted">{escape(sender)} · {_moment(message.at)}</small>
<table>{_rows(list(message.fields))}</table>{link}</div>"""


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request) -> HTMLResponse:
    sim = simulator_of(request)
    sections = []
    for user in sim.users.values():
        cards = "".join(_message_card(sim, message) for message in sim.inbox(user.key))
        sections.append(
            f"<h2>{escape(user.nickname)} <small>（{escape(user.key)}）</small></h2>"
            + (cards or '<p class="muted">还没有收到消息。</p>')
        )
    return page("消息收件箱", "".join(sections))


def _share_card(share: Share) -> str:
    where = [("链接", share.link), ("图片", share.img_url), ("页面", share.page)]
    return f"""<div class="card"><b>{escape(share.title)}</b>
<small class="muted">发送给{SHARE_KINDS[share.api]} · {_moment(share.at)}</small>
<p>{escape(share.desc)}</p><table>{_rows(where)}</table></div>"""


@router.get("/shares", response_class=HTMLResponse)
async def shares(request: Request) -> HTMLResponse:
    cards = "".join(_share_card(share) for share in reversed(simulator_of(request).shares))
    return page("分享卡片", cards or '<p class="muted">还没有页面设置分享卡片。</p>')
