"""The promoter's storefront pages: applying, the review state, the promoter centre with the
pool's figures and "best for you", and a link's page with its poster."""

from __future__ import annotations

import re
from io import BytesIO

from PIL import Image

from tests.affiliates.conftest import ME_PROMOTER, PROMOTERS, Pool
from tests.affiliates.selling import buy, share_code, shopper, visit
from tests.storefront import HTML, page, post
from tests.storefront import shopper as page_shopper
from tests.support import expect


async def _approve(pool: Pool, headers: dict) -> dict:
    """The operator approves the page shopper's application: their promoter record."""
    record = expect(await pool.client.get(ME_PROMOTER, headers=headers), 200)
    return expect(
        await pool.client.post(f"{PROMOTERS}/{record['id']}/approve", headers=pool.operator), 200
    )


async def test_signing_in_comes_first(pool: Pool):
    answer = await pool.client.get("/me/promoter", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


async def test_apply_wait_for_review_then_promote_from_the_centre(pool: Pool):
    await pool.pooled(rate_bps=1000)
    _, headers = await page_shopper(pool.api, pool.client)
    assert 'href="/me/promoter"' in await page(pool.client, "/me")
    form = await page(pool.client, "/me/promoter")
    assert "成为推客" in form and 'name="real_name"' in form

    # A bad phone shows the form again and writes nothing.
    refused = await post(
        pool.client, "/me/promoter", {"real_name": "王小明", "phone": "12"}, status=422
    )
    assert 'aria-invalid="true"' in refused.text and "王小明" in refused.text
    assert (await pool.client.get(ME_PROMOTER, headers=headers)).status_code == 404

    await post(pool.client, "/me/promoter", {"real_name": "王小明", "phone": "13912345678"})
    assert "你的申请正在审核中" in await page(pool.client, "/me/promoter")
    record = expect(await pool.client.get(ME_PROMOTER, headers=headers), 200)
    expect(
        await pool.client.post(f"{PROMOTERS}/{record['id']}/approve", headers=pool.operator), 200
    )

    # A shopper comes through a link and buys: the centre shows the figures.
    record = expect(await pool.client.get(ME_PROMOTER, headers=headers), 200)
    buyer = await shopper(pool)
    await visit(pool, record, buyer, pool.product["id"])
    await buy(pool, buyer, pool.sku_ids[0], 2)
    centre = await page(pool.client, "/me/promoter")
    assert record["code"] in centre and "为你推荐" in centre
    assert "预计每次访问收益" in centre and "佣金 ¥1.99" in centre
    assert "近30天：销量 2 · 访问 1 · 转化率 100.0% · 退款率 0.0% · 库存 58" in centre
    assert "复制链接" in centre and "生成海报" in centre

    made = await post(
        pool.client, "/me/promoter/links", {"product_id": pool.product["id"], "then": "poster"}
    )
    target = made.headers["location"]
    code = re.fullmatch(r"/me/promoter/links/([0-9A-Z]+)#poster", target).group(1)
    link_page = await page(pool.client, target.split("#")[0])
    base = pool.api.runtime.settings.public_base_url.rstrip("/")
    assert f'value="{base}/r/{code}"' in link_page and "保存海报" in link_page
    poster = await pool.client.get(f"/me/promoter/links/{code}/poster.png", headers=HTML)
    assert poster.status_code == 200
    assert Image.open(BytesIO(poster.content)).size == (600, 960)
    # The same product again: the same link.
    again = await post(pool.client, "/me/promoter/links", {"product_id": pool.product["id"]})
    assert again.headers["location"] == f"/me/promoter/links/{code}"

    pool.client.cookies.set("weshop_lang", "en")
    english = await page(pool.client, "/me/promoter")
    assert "Best for you" in english and "Expected earnings per visit" in english


async def test_a_rejected_application_shows_the_reason(pool: Pool):
    _, headers = await page_shopper(pool.api, pool.client)
    await post(pool.client, "/me/promoter", {"real_name": "王小明", "phone": "13912345678"})
    record = expect(await pool.client.get(ME_PROMOTER, headers=headers), 200)
    expect(
        await pool.client.post(
            f"{PROMOTERS}/{record['id']}/reject", json={"reason": "资料不全"}, headers=pool.operator
        ),
        200,
    )
    text = await page(pool.client, "/me/promoter")
    assert "你的申请未通过" in text and "资料不全" in text


async def test_another_promoters_link_page_is_not_found(pool: Pool):
    await pool.pooled()
    _, theirs = await pool.promoter()
    async_code = await _code_of(pool, theirs)
    _, headers = await page_shopper(pool.api, pool.client)
    await post(pool.client, "/me/promoter", {"real_name": "李四", "phone": "13912345679"})
    record = expect(await pool.client.get(ME_PROMOTER, headers=headers), 200)
    expect(
        await pool.client.post(f"{PROMOTERS}/{record['id']}/approve", headers=pool.operator), 200
    )
    for path in (f"/me/promoter/links/{async_code}", f"/me/promoter/links/{async_code}/poster.png"):
        assert (await pool.client.get(path, headers=HTML)).status_code == 404


async def _code_of(pool: Pool, promoter: dict) -> str:

    return await share_code(pool, promoter, product_id=pool.product["id"])


async def test_the_centre_shows_the_promoters_live_figures(pool: Pool):
    product = pool.product
    await pool.pooled(rate_bps=1000)
    _, headers = await page_shopper(pool.api, pool.client)
    await post(pool.client, "/me/promoter", {"real_name": "王小明", "phone": "13912345678"})
    record = await _approve(pool, headers)
    buyer = await shopper(pool)
    await visit(pool, record, buyer, product["id"])
    await buy(pool, buyer, pool.sku_ids[0], 1)
    shown = await page(pool.client, "/me/promoter")
    figures = shown[shown.index('id="promoter-figures"') :]
    figures = figures[: figures.index("</section>")]
    cells = re.findall(r'<td class="num">([^<]*)</td>', figures)
    # Clicks, visitors, orders, paid orders: today, 7 days, 30 days alike.
    assert cells[:12] == ["1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1", "1"]
