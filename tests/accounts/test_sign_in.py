from sqlalchemy import text

from tests.support import expect, new_phone


async def test_code_sign_in_gives_a_working_token(api, client):
    headers = await api.sign_in("13800138000")
    me = expect(await client.get("/api/v1/me", headers=headers), 200)
    assert me["phone"] == "138****8000"


async def test_a_code_works_once(client):
    phone = new_phone()
    sent = expect(await client.post("/api/v1/auth/codes", json={"phone": phone}), 202)
    body = {"phone": phone, "code": sent["demo_code"]}
    expect(await client.post("/api/v1/auth/sessions", json=body), 201)
    again = await client.post("/api/v1/auth/sessions", json=body)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_code"


async def test_phone_is_not_stored_in_plain_text(api, runtime):
    await api.sign_in("13700001234")
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT phone, phone_index FROM users"))).all()
    assert rows and all("13700001234" not in "".join(row) for row in rows)
