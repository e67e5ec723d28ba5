"""The authorise page of web authorisation (``open.weixin.qq.com/connect/oauth2/authorize``),
standing in for WeChat's browser: pick a test user, consent to ``snsapi_userinfo``, go back to
``redirect_uri?code=…&state=…``.

The chosen user is kept in a cookie, as WeChat's browser is signed in: a later ``snsapi_base``
request (or ``snsapi_userinfo`` already consented to) redirects at once, without a page.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from weshop.wxsim.layout import hidden_fields, page
from weshop.wxsim.oauth import AuthoriseError
from weshop.wxsim.routing import base_path, simulator_of

router = APIRouter(tags=["wechat web authorisation"])

USER_COOKIE = "wxsim_user"
AUTHORISE_FIELDS = ("appid", "redirect_uri", "response_type", "scope", "state")


def current_user(request: Request) -> str | None:
    """The WeChat user of this browser (chosen on the authorise page), if any."""
    key = request.cookies.get(USER_COOKIE, "")
    return key if key in simulator_of(request).users else None


def _redirect(request: Request, fields: dict[str, str], user: str) -> Response:
    code = simulator_of(request).web.authorise(fields["appid"], user, fields["scope"])
    uri = fields["redirect_uri"]
    separator = "&" if "?" in uri else "?"
    target = uri + separator + urlencode({"code": code, "state": fields["state"]})
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(USER_COOKIE, user, path="/", samesite="lax")
    return response


def _consent(request: Request, fields: dict[str, str], user: str) -> HTMLResponse:
    sim = simulator_of(request)
    app = sim.apps[fields["appid"]]
    person = sim.users[user]
    action = f"{base_path(request)}/connect/oauth2/authorize/confirm"
    hidden = hidden_fields({**fields, "user": user})
    body = f"""<div class="card"><p><b>{escape(app.name or app.appid)}</b> 申请获得以下权限：</p>
<p>获得你的公开信息（昵称、头像、地区等）</p>
<div class="user"><img src="{escape(sim.web.avatar_url(user))}" alt="">
<span>{escape(person.nickname)}<br><small>微信个人信息</small></span></div></div>
<form method="post" action="{escape(action)}">{hidden}
<button type="submit" name="decision" value="allow">允许</button>
<button type="submit" name="decision" value="deny" class="secondary">拒绝</button></form>"""
    return page("微信授权", body)


def _picker(request: Request, fields: dict[str, str]) -> HTMLResponse:
    sim = simulator_of(request)
    action = f"{base_path(request)}/connect/oauth2/authorize/confirm"
    choices = "".join(
        f"""<form method="post" action="{escape(action)}" class="card">
{hidden_fields({**fields, "user": user.key, "decision": "pick"})}
<div class="user"><img src="{escape(sim.web.avatar_url(user.key))}" alt="">
<span>{escape(user.nickname)}<br><small>{escape(user.key)}</small></span></div>
<button type="submit">以 {escape(user.nickname)} 的身份继续</button></form>"""
        for user in sim.users.values()
    )
    return page("选择微信用户", f"<p>这台浏览器还没有登录微信：选择一位测试用户。</p>{choices}")


def _fields(source: dict[str, str]) -> dict[str, str]:
    return {name: str(source.get(name, "")) for name in AUTHORISE_FIELDS}


@router.get("/connect/oauth2/authorize", response_class=HTMLResponse)
async def authorize(request: Request) -> Response:
    fields = _fields(dict(request.query_params))
    sim = simulator_of(request)
    try:
        sim.web.check_request(
            fields["appid"], fields["redirect_uri"], fields["response_type"], fields["scope"]
        )
    except AuthoriseError as exc:
        return page("出错了", f"<p>{escape(str(exc))}</p>", 400)
    user = current_user(request)
    if user is None or request.query_params.get("wxsim_pick"):
        return _picker(request, fields)
    if sim.web.needs_consent(fields["appid"], user, fields["scope"]):
        return _consent(request, fields, user)
    return _redirect(request, fields, user)


@router.post("/connect/oauth2/authorize/confirm", response_class=HTMLResponse)
async def confirm(request: Request) -> Response:
    form = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    fields = _fields(form)
    sim = simulator_of(request)
    try:
        sim.web.check_request(
            fields["appid"], fields["redirect_uri"], fields["response_type"], fields["scope"]
        )
    except AuthoriseError as exc:
        return page("出错了", f"<p>{escape(str(exc))}</p>", 400)
    user = form.get("user", "")
    if user not in sim.users:
        return page("出错了", "<p>没有这位测试用户</p>", 400)
    decision = form.get("decision", "")
    if decision == "deny":
        # WeChat does not redirect when the user refuses.
        return page("已拒绝授权", "<p>你拒绝了授权，可以关闭此页面。</p>")
    if decision == "pick" and sim.web.needs_consent(fields["appid"], user, fields["scope"]):
        response: Response = _consent(request, fields, user)
        response.set_cookie(USER_COOKIE, user, path="/", samesite="lax")
        return response
    return _redirect(request, fields, user)
