"""Mini-program sign-in (wx.login → jscode2session) and the phone number (getPhoneNumber)."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support import expect
from tests.wechat.support import MINIPROGRAM, bearer, mini_program_sign_in
from weshop.accounts.models import User
from weshop.core.events import ask
from weshop.payments.events import PayerOpenid
from weshop.wechat.models import WechatIdentity
from weshop.wxsim.apps import STORE_MINIPROGRAM_APPID


async def test_first_sign_in_makes_an_account_without_phone_and_the_next_finds_it(
    client, wxsim, runtime
):
    first = await mini_program_sign_in(client, wxsim, "lina")
    assert first["phone_bound"] is False
    assert first["user"]["phone"] is None
    me = expect(await client.get("/api/v1/me", headers=bearer(first)), 200)
    assert me["id"] == first["user"]["id"]

    again = await mini_program_sign_in(client, wxsim, "lina")
    assert again["user"]["id"] == first["user"]["id"]
    other = await mini_program_sign_in(client, wxsim, "wangwei")
    assert other["user"]["id"] != first["user"]["id"]
    # The session key is kept (encrypted) but never answered.
    assert "session_key" not in str(first)
    async with runtime.db.session(write=False) as session:
        identity = await session.scalar(
            select(WechatIdentity).where(WechatIdentity.user_id == first["user"]["id"])
        )
    assert identity.openid == wxsim.openid_of(MINIPROGRAM, "lina")
    assert identity.unionid == wxsim.unionid_of(MINIPROGRAM, "lina")
    assert identity.session_key


async def test_a_code_works_once_and_a_made_up_one_not_at_all(client, wxsim, runtime):
    code = wxsim.login_code(MINIPROGRAM, "lina")
    expect(await client.post("/api/v1/auth/wechat/miniprogram", json={"code": code}), 201)
    for refused in (code, "made-up-code"):
        answer = await client.post("/api/v1/auth/wechat/miniprogram", json={"code": refused})
        assert expect(answer, 401)["error"]["code"] == "wechat_code_invalid"
    async with runtime.db.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_a_store_mini_program_without_open_platform_is_another_account(client, wxsim):
    platform = await mini_program_sign_in(client, wxsim, "lina")
    store = await mini_program_sign_in(client, wxsim, "lina", STORE_MINIPROGRAM_APPID)
    # No unionid under the store's own app: WeShop cannot know it is the same person.
    assert store["user"]["id"] != platform["user"]["id"]
    unknown = await client.post(
        "/api/v1/auth/wechat/miniprogram", json={"code": "abc", "appid": "wx0000000000000000"}
    )
    assert expect(unknown, 404)["error"]["code"] == "wechat_not_configured"


async def test_the_phone_number_button_binds_the_phone(client, wxsim):
    signed_in = await mini_program_sign_in(client, wxsim, "wangwei")
    code = wxsim.phone_code(MINIPROGRAM, "wangwei")
    bound = expect(
        await client.post(
            "/api/v1/me/wechat/phone", json={"code": code}, headers=bearer(signed_in)
        ),
        200,
    )
    assert bound == {"merged": False, "user": {**signed_in["user"], "phone": "139****9002"}}
    again = await mini_program_sign_in(client, wxsim, "wangwei")
    assert again["phone_bound"] is True
    reused = await client.post(
        "/api/v1/me/wechat/phone", json={"code": code}, headers=bearer(signed_in)
    )
    assert expect(reused, 401)["error"]["code"] == "wechat_code_invalid"


async def test_payments_learn_the_payers_openid_of_each_app(client, wxsim, runtime):
    signed_in = await mini_program_sign_in(client, wxsim, "lina")
    user_id = signed_in["user"]["id"]
    async with runtime.db.session(write=False) as session:
        assert await ask(session, PayerOpenid(user_id, MINIPROGRAM)) == wxsim.openid_of(
            MINIPROGRAM, "lina"
        )
        # Not signed in through the store's own mini-program: no openid there.
        assert await ask(session, PayerOpenid(user_id, STORE_MINIPROGRAM_APPID)) is None
