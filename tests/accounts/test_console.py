"""The console's door: sign-in by code or password, the store chooser with invitations,
sign-out."""

from __future__ import annotations

import re

from tests.analytics.support import HTML, page, redirected_to, submit, use_session
from tests.support import new_phone
from weshop.accounts import service as accounts


async def test_sign_in_by_code_then_the_chooser_of_someone_on_no_staff(client, api) -> None:
    store_id, _owner = await api.new_store()
    phone = new_phone()
    signin = await page(client, "/console/signin", next=f"/console/stores/{store_id}")
    assert signin.status_code == 200 and 'name="phone"' in signin.text
    sent = await submit(client, "/console/signin", {"phone": phone, "step": "send"})
    code = re.search(r"\b(\d{6})\b", sent.text)
    assert sent.status_code == 200 and code, sent.text
    wrong = await submit(client, "/console/signin", {"phone": phone, "code": "000000"})
    assert wrong.status_code == 401 and 'id="e-code"' in wrong.text
    signed = await submit(
        client, "/console/signin", {"phone": phone, "code": code.group(1), "next": "/console"}
    )
    assert redirected_to(signed) == "/console"
    home = await page(client, "/console")
    assert home.status_code == 200  # on the staff of no store: the chooser says so
    assert f"/console/stores/{store_id}" not in home.text
    assert (await page(client, f"/console/stores/{store_id}")).status_code == 404


async def test_password_sign_in_and_the_chooser_with_invitations(client, api, runtime) -> None:
    phone = new_phone()
    async with runtime.db.transaction() as session:
        user = await accounts.get_or_create_user(session, phone)
        await accounts.set_password(session, user, "merchant-pass")
    store_a, owner_a = await api.new_store("山野农场")
    store_b, owner_b = await api.new_store("简衣工坊")
    for store_id, owner in ((store_a, owner_a), (store_b, owner_b)):
        invited = await client.post(
            f"/api/v1/merchant/stores/{store_id}/staff",
            json={"phone": phone, "role": "operator"},
            headers=owner,
        )
        assert invited.status_code == 201

    bad = await submit(
        client, "/console/signin", {"method": "password", "phone": phone, "password": "nope"}
    )
    assert bad.status_code == 401 and 'id="e-password"' in bad.text
    good = await submit(
        client,
        "/console/signin",
        {"method": "password", "phone": phone, "password": "merchant-pass"},
    )
    assert redirected_to(good) == "/console"
    home = await page(client, "/console")
    assert "山野农场" in home.text and "简衣工坊" in home.text
    accept = re.findall(r'action="(/console/invitations/\d+/accept)"', home.text)
    assert len(accept) == 2
    assert redirected_to(await submit(client, accept[0])) == f"/console/stores/{store_a}"
    home = await page(client, "/console")
    assert (
        f'href="/console/stores/{store_a}"' in home.text
        and len(re.findall(r"/accept", home.text)) == 1
    )
    redirected_to(await submit(client, accept[1]))
    both = await page(client, "/console")
    assert both.status_code == 200 and f'href="/console/stores/{store_b}"' in both.text

    out = await submit(client, "/console/signout")
    assert redirected_to(out) == "/console/signin"
    again = await client.get("/console", headers=HTML)
    assert again.status_code == 303 and again.headers["location"].startswith("/console/signin")


async def test_one_store_goes_straight_to_it_and_bad_input_is_shown(client, api) -> None:
    store_id, owner = await api.new_store()
    use_session(client, owner)
    answer = await client.get("/console", headers=HTML)
    assert redirected_to(answer) == f"/console/stores/{store_id}"
    client.cookies.clear()
    bad = await submit(client, "/console/signin", {"phone": "12", "step": "send"})
    assert bad.status_code == 422 and 'id="e-phone"' in bad.text
    bad_code = await submit(client, "/console/signin", {"phone": new_phone(), "code": "12"})
    assert bad_code.status_code == 422 and 'id="e-code"' in bad_code.text
    not_mine = await submit(client, "/console/invitations/999/accept")
    assert not_mine.status_code == 303  # signed out: to the sign-in page first
