"""No English left on a zh-CN storefront page: every storefront GET page (every route of a
``*.web`` module) is rendered with the demo's data — products, cart, checkout, orders,
coupons, groups, bargains, flash sales, after-sales, reviews, the promoter's pages — as a
guest and as signed-in shoppers, and a sentence in ASCII letters only fails the test with
the page and the sentence. A new page is swept as soon as it is routed; a new path parameter
needs its rows in ``CANDIDATES``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Route

from tests.storefront import HTML
from tests.support import all_routes
from tests.test_demo import demo_settings
from weshop import demo
from weshop.accounts.models import Address, User
from weshop.affiliates.models import ShareLink
from weshop.aftersales.models import AftersalesRequest
from weshop.app import create_app
from weshop.bargain.models import Bargain
from weshop.catalog.models import Product, ProductStatus, Sku
from weshop.core.crypto import cipher
from weshop.core.migrations import upgrade_async
from weshop.demo.data import PROMOTER_PHONE
from weshop.flashsale.models import FlashItem
from weshop.groupbuy.models import Group
from weshop.orders.models import Order, OrderLine
from weshop.payments.models import CombinedPayment, Payment
from weshop.reviews.models import Review
from weshop.stores.models import Store
from weshop.web.i18n import LANGUAGES

# Rows whose ids fill each path parameter; a model with ``user_id`` gives the visitor's own.
CANDIDATES: dict[str, Any] = {
    "product_id": Product.id,
    "store_id": Store.id,
    "order_id": Order.id,
    "group_id": Group.id,
    "bargain_id": Bargain.id,
    "flash_item_id": FlashItem.id,
    "request_id": AftersalesRequest.id,
    "review_id": Review.id,
    "address_id": Address.id,
    "code": ShareLink.code,
    "out_trade_no": Payment.out_trade_no,
    "checkout_no": Order.checkout_no,
    "combine_out_trade_no": CombinedPayment.combine_out_trade_no,
}
TRIES = 25
# Storefront routes that answer something else than a page, and why.
NOT_PAGES = {
    "/me/promoter/links/{code}/poster.png": "a picture",
    "/pay/return/{out_trade_no}": "back from the cashier: a redirect to the result",
    "/me/orders/{order_id}/pay": "a redirect to the order, which has the pay button",
    "/r/{code}": "a share link: a redirect to the product",
    "/wechat/oauth/callback": "WeChat's redirect back after sign-in",
    "/wechat/profile": "WeChat's profile step, only inside a WeChat sign-in",
    "/me/phone": "binding a phone, only for a WeChat account without one",
    "/open-store/images/{image_id}": "a licence picture of the applicant's own application",
}
# Words that stay as they are in Chinese copy: names, units, codes.
KEPT = {
    "weshop", "wechat", "sku", "id", "ok", "vip", "app", "api", "logo", "qq", "pdf", "png",
    "csv", "kg", "cm", "ml", "dsr", "ems", "sf", "jd", "yto", "zto", "sto", "pm", "am",
}  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")
NOT_WORDS = ("http://", "https://", "/")
SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")


class VisibleText(HTMLParser):
    """The text a visitor reads or hears: text outside script/style and the attributes
    shown or spoken."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.chunks.append(data.strip())


def english_sentences(html: str) -> list[str]:
    """Chunks with no Chinese and a word that is not a kept name or code."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for chunk in parser.chunks:
        if CJK.search(chunk) or chunk in LANGUAGES.values() or chunk.startswith(NOT_WORDS):
            continue
        words = [w for w in WORD.findall(chunk) if w.lower() not in KEPT and not w.isupper()]
        if words:
            found.append(chunk)
    return found


def storefront_pages(app) -> list[str]:
    return sorted(
        {
            route.path
            for route in all_routes(app.routes)
            if isinstance(route, Route)
            and "GET" in (route.methods or ())
            and getattr(route.endpoint, "__module__", "").endswith(".web")
        }
    )


@pytest.fixture(scope="module")
async def demo_app(tmp_path_factory) -> AsyncIterator[Any]:
    settings = demo_settings(Path(tmp_path_factory.mktemp("zh-demo")))
    await upgrade_async(settings.database_url)
    assert await demo.seed(settings) == demo.SeedResult.CREATED
    app = create_app(settings.model_copy(update={"demo_mode": True}), check_schema=False)
    yield app
    await app.state.runtime.components["payments"].close()
    await app.state.runtime.close()


async def signed_in(app, phone: str | None) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    if phone is None:
        return client
    signin = await client.get("/signin", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', signin.text).group(1)
    sent = await client.post(
        "/signin", data={"csrf_token": token, "phone": phone, "step": "send"}, headers=HTML
    )
    code = re.search(r'id="demo-code">(\d{6})<', sent.text).group(1)
    await client.post(
        "/signin",
        data={"csrf_token": token, "phone": phone, "code": code, "step": "verify"},
        headers=HTML,
    )
    assert "weshop_session" in client.cookies
    return client


async def candidates(app, param: str, user_id: int | None) -> list[str]:
    column = CANDIDATES[param]
    query = select(column).order_by(column.desc()).limit(TRIES)
    owner = getattr(column.class_, "user_id", None)
    if owner is not None and user_id is not None:
        query = query.where(owner == user_id)
    async with app.state.runtime.db.session(write=False) as session:
        return [str(value) for value in await session.scalars(query)]


async def render(
    app, client: httpx.AsyncClient, path: str, user_id: int | None
) -> httpx.Response | None:
    """The page answered 200 in HTML, trying the candidate ids of its parameters."""
    params = re.findall(r"{(\w+)}", path)
    missing = [p for p in params if p not in CANDIDATES]
    assert not missing, f"{path}: add rows for {missing} to CANDIDATES"
    if not params:
        tries = [path]
    else:
        lists = [await candidates(app, p, user_id) for p in params]
        tries = [
            path.replace("{" + params[0] + "}", value)
            if len(params) == 1
            else re.sub(r"{\w+}", value, path)
            for value in lists[0]
        ]
    for url in tries:
        answer = await client.get(url, params=await query_of(app, path, url), headers=HTML)
        if answer.status_code == 200 and answer.headers["content-type"].startswith("text/html"):
            return answer
    return None


async def query_of(app, path: str, url: str) -> dict[str, str]:
    """What a page needs in its query string: checkout a SKU on sale, the after-sales form
    a line of the order."""
    async with app.state.runtime.db.session(write=False) as session:
        if path == "/checkout":
            sku = await session.scalar(
                select(Sku.id)
                .join(Product, Product.id == Sku.product_id)
                .where(Product.status == ProductStatus.PUBLISHED, Sku.is_active.is_(True))
            )
            return {"sku": str(sku), "quantity": "1"}
        if path == "/me/orders/{order_id}/aftersales":
            order_id = int(url.split("/")[3])
            line = await session.scalar(select(OrderLine.id).where(OrderLine.order_id == order_id))
            return {"line": str(line)} if line else {}
    return {}


async def user_id_of(app, phone: str) -> int:
    async with app.state.runtime.db.session(write=False) as session:
        index = cipher().blind_index(phone, kind="phone")
        return await session.scalar(select(User.id).where(User.phone_index == index))


async def test_no_english_sentence_on_any_zh_cn_storefront_page(demo_app) -> None:
    visitors = [None, demo.SHOPPERS[0].phone, demo.SHOPPERS[1].phone, PROMOTER_PHONE]
    pages = storefront_pages(demo_app)
    rendered: set[str] = set()
    english: dict[str, set[str]] = {}
    for phone in visitors:
        client = await signed_in(demo_app, phone)
        user_id = await user_id_of(demo_app, phone) if phone else None
        try:
            for path in pages:
                answer = await render(demo_app, client, path, user_id)
                if answer is None:
                    continue
                rendered.add(path)
                for sentence in english_sentences(answer.text):
                    english.setdefault(sentence, set()).add(str(answer.url.path))
        finally:
            await client.aclose()
    report = [f"{sorted(where)[0]}: {sentence!r}" for sentence, where in sorted(english.items())]
    assert not report, "English on zh-CN storefront pages:\n" + "\n".join(report)
    unrendered = set(pages) - rendered - set(NOT_PAGES)
    assert not unrendered, f"no page rendered with the demo's data: {sorted(unrendered)}"
