"""我的 shows who is signed in: the nickname, else the masked phone."""

from __future__ import annotations

import re

from tests.storefront import page, sign_in_page


async def test_my_page_is_headed_by_the_masked_phone_without_a_nickname(client) -> None:
    phone = await sign_in_page(client)
    me = await page(client, "/me")
    masked = f"{phone[:3]}****{phone[-4:]}"
    assert re.search(rf"<h2>{re.escape(masked)}</h2>", me) and phone not in me
    assert "顾客" not in re.search(r"<h2>[^<]*</h2>", me).group(0)
