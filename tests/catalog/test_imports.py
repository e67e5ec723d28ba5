"""CSV import of products with their SKUs: preview, import, every bad row with its line
number and nothing written, SKU codes refused when the store has them, the template."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import expect
from weshop.catalog.imports import parse_yuan

HEADER = ",".join(
    (
        *("商品编号", "商品标题", "卖点", "分类", "规格1名称", "规格1值", "规格2名称"),
        *("规格2值", "SKU编码", "价格（元）", "库存", "重量（克）"),
    )
)
GOOD = [
    HEADER,
    "T1,纯棉T恤,透气,上衣,颜色,白,尺码,M,T1-W-M,59.90,20,200",
    "T1,纯棉T恤,透气,上衣,颜色,白,尺码,L,T1-W-L,59.9,20,210",
    "T1,,,,颜色,黑,尺码,M,T1-B-M,62,15,200",
    "T1,,,,颜色,黑,尺码,L,T1-B-L,0.01,15,",
    ",保温杯,,,,,,,M2,89.00,50,350",
]


def path(store_id: int, tail: str = "") -> str:
    return f"/api/v1/merchant/stores/{store_id}/product-imports{tail}"


def csv_file(lines: list[str], encoding: str = "utf-8-sig") -> dict:
    return {"file": ("products.csv", "\r\n".join(lines).encode(encoding), "text/csv")}


async def store_with_category(api, client) -> tuple[int, dict]:
    store_id, owner = await api.new_store()
    expect(
        await client.post(
            f"/api/v1/merchant/stores/{store_id}/categories", json={"name": "上衣"}, headers=owner
        ),
        201,
    )
    return store_id, owner


async def product_count(client, store_id, owner) -> int:
    page = expect(
        await client.get(f"/api/v1/merchant/stores/{store_id}/products", headers=owner), 200
    )
    return len(page["items"])


async def test_preview_then_import_creates_the_products_and_their_skus(api, client):
    store_id, owner = await store_with_category(api, client)
    preview = expect(
        await client.post(path(store_id, "/preview"), files=csv_file(GOOD), headers=owner), 200
    )
    assert preview["errors"] == [] and preview["sku_count"] == 5
    shirt, cup = preview["products"]
    assert shirt["specs"] == [
        {"name": "颜色", "values": ["白", "黑"]},
        {"name": "尺码", "values": ["M", "L"]},
    ]
    assert (shirt["sku_count"], shirt["price_from_fen"], shirt["stock_total"]) == (4, 1, 70)
    assert (cup["line"], cup["sku_count"], cup["specs"]) == (6, 1, [])
    assert await product_count(client, store_id, owner) == 0  # a preview writes nothing

    done = expect(await client.post(path(store_id), files=csv_file(GOOD), headers=owner), 201)
    assert done["sku_count"] == 5 and len(done["product_ids"]) == 2
    made = expect(
        await client.get(
            f"/api/v1/merchant/stores/{store_id}/products/{done['product_ids'][0]}", headers=owner
        ),
        200,
    )
    assert made["status"] == "draft" and made["category_id"] is not None
    skus = {sku["sku_code"]: sku for sku in made["skus"]}
    assert {code: sku["price_fen"] for code, sku in skus.items()} == {
        "T1-W-M": 5990,
        "T1-W-L": 5990,
        "T1-B-M": 6200,
        "T1-B-L": 1,
    }
    assert skus["T1-B-M"]["available"] == 15 and skus["T1-W-L"]["weight_grams"] == 210
    assert made["price_from_fen"] == 1

    # The same file again: every SKU code is taken, nothing is created twice.
    again = await client.post(path(store_id), files=csv_file(GOOD), headers=owner)
    assert again.status_code == 422
    error = again.json()["error"]
    assert error["code"] == "import_rejected"
    assert {e["code"] for e in error["details"]["errors"]} == {"sku_code_taken"}
    assert [e["line"] for e in error["details"]["errors"]] == [2, 3, 4, 5, 6]
    assert await product_count(client, store_id, owner) == 2


async def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(api, client):
    store_id, owner = await store_with_category(api, client)
    bad = [
        HEADER,
        "T1,纯棉T恤,透气,上衣,颜色,白,尺码,M,T1-W-M,59.90,20,200",
        "T1,纯棉T恤,透气,上衣,颜色,白,尺码,L,T1-W-L,59.999,20,210",  # 3 decimals
        "T1,纯棉T恤,透气,上衣,颜色,黑,尺码,M,T1-W-M,62,15,200",  # code repeats line 2
        "T1,纯棉T恤,透气,上衣,颜色,黑,尺码,L,T1-B-L,62,²,200",  # not a whole number
        "T2,别的标题,,上衣,颜色,红,,,T2-R,=1+1,5,",  # formula as price
        "T3,连衣裙,,不存在的分类,,,,,T3,10,1,",  # unknown category
        ",,,,,,,,X9,1,1,",  # no title
        "T4,半身裙,,,尺码,S,,,T4-S,10,1,",
        "T4,半身裙,,,尺码,S,,,T4-S2,10,1,",  # same combination twice
        "T5,衬衫,,,颜色,白,尺码,M,T5-WM,10,1,",
        "T5,衬衫,,,颜色,黑,尺码,L,T5-BL,10,1,",  # 2 of 4 combinations
        "T1,另一个标题,,,颜色,蓝,尺码,M,T1-X,1,1,",  # title differs from line 2
    ]
    response = await client.post(path(store_id), files=csv_file(bad), headers=owner)
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    found = {(e["line"], e["code"]) for e in errors}
    assert found >= {
        (3, "invalid_price"),
        (4, "duplicate_sku_code"),
        (5, "invalid_quantity"),
        (6, "invalid_price"),
        (7, "unknown_category"),
        (8, "required"),
        (10, "duplicate_combination"),
        (11, "incomplete_matrix"),
        (13, "product_mismatch"),
    }
    assert await product_count(client, store_id, owner) == 0

    preview = expect(
        await client.post(path(store_id, "/preview"), files=csv_file(bad), headers=owner), 200
    )
    assert {(e["line"], e["code"]) for e in preview["errors"]} == found


async def test_a_file_from_excel_in_gb18030_and_a_missing_column(api, client):
    store_id, owner = await api.new_store()
    lines = ["商品标题,SKU编码,价格（元）,库存", "保温杯,CUP-1,89,50"]
    done = expect(
        await client.post(path(store_id), files=csv_file(lines, "gb18030"), headers=owner), 201
    )
    assert done["sku_count"] == 1
    missing = await client.post(
        path(store_id, "/preview"),
        files=csv_file(["商品标题,SKU编码,库存", "杯,C,1"]),
        headers=owner,
    )
    assert missing.status_code == 200
    assert [(e["line"], e["column"]) for e in missing.json()["errors"]] == [(1, "price")]
    empty = await client.post(path(store_id), files=csv_file([""]), headers=owner)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "import_empty"


async def test_the_template_is_excel_ready_and_imports_as_it_is(api, client):
    store_id, owner = await store_with_category(api, client)
    response = await client.get(path(store_id, "/template.csv"), headers=owner)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1] == "商品标题"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    files = {"file": ("t.csv", response.content, "text/csv")}
    done = expect(await client.post(path(store_id), files=files, headers=owner), 201)
    assert done["sku_count"] == 5


async def test_importing_needs_catalogue_writing(api, client):
    store_id, owner = await api.new_store()
    finance = await api.add_staff(store_id, owner, "finance")
    response = await client.post(path(store_id), files=csv_file(GOOD), headers=finance)
    assert response.status_code == 403
    assert (await client.get(path(store_id, "/template.csv"), headers=finance)).status_code == 403


@given(st.integers(min_value=0, max_value=10_000_000_000))
def test_yuan_text_parses_to_the_exact_fen(fen: int) -> None:
    yuan, cents = divmod(fen, 100)
    assert parse_yuan(f"{yuan}.{cents:02d}") == fen
    if cents % 10 == 0:
        assert parse_yuan(f"{yuan}.{cents // 10}") == fen
    if cents == 0:
        assert parse_yuan(str(yuan)) == fen
    assert parse_yuan(f"¥{yuan:,}.{cents:02d}") == fen


@given(st.decimals(min_value=0, max_value=10**8, places=3, allow_nan=False))
def test_a_third_decimal_is_refused_never_rounded(amount: Decimal) -> None:
    text = f"{amount:.3f}"
    if text.endswith("0"):
        assert parse_yuan(text[:-1]) == int(amount * 100)
    else:
        with pytest.raises(ValueError):
            parse_yuan(text)


@pytest.mark.parametrize("text", ["", "-1", "1e3", "1.", ".5", "12.345", "NaN", "1 000", "１２"])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yuan(text)
