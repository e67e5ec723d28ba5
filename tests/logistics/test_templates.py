"""Shipping templates: validation with stable codes, one default per store, CRUD, tenancy."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.logistics.support import create_template, template_body, templates_url
from tests.support import expect
from weshop.core.regions import PROVINCES
from weshop.core.tenancy import StoreScope
from weshop.logistics import service
from weshop.logistics.models import ChargeBy, ShippingTemplate
from weshop.pricing import inputs as pricing

DEFAULT_RULE = {
    "provinces": [],
    "first_units": 1,
    "first_fee_fen": 500,
    "additional_units": 1,
    "additional_fee_fen": 100,
}


def rule(*provinces: str, fee: int = 1000) -> dict:
    return dict(DEFAULT_RULE, provinces=list(provinces), first_fee_fen=fee)


def test_the_province_list_is_the_34_divisions() -> None:
    assert len(PROVINCES) == len(set(PROVINCES)) == 34
    for name in (
        "浙江省",
        "北京市",
        "广西壮族自治区",
        "香港特别行政区",
        "澳门特别行政区",
        "台湾省",
    ):
        assert name in PROVINCES


async def test_create_list_get_replace(api, client):
    store_id, owner = await api.new_store()
    first = await create_template(api, store_id, owner, name="标准")
    assert first["is_default"] is True  # the first template becomes the default
    assert first["charge_by"] == "piece" and first["free_over_fen"] == 9900
    assert first["rules"][1]["provinces"] == ["新疆维吾尔自治区", "西藏自治区"]
    assert first["unreachable_provinces"] == ["台湾省"]

    second = await create_template(
        api, store_id, owner, name="按重量", charge_by="weight", rules=[DEFAULT_RULE]
    )
    assert second["is_default"] is False
    listed = expect(await client.get(templates_url(store_id), headers=owner), 200)
    assert [t["id"] for t in listed] == [first["id"], second["id"]]

    replaced = expect(
        await client.put(
            templates_url(store_id, f"/{second['id']}"),
            json=template_body(
                "按重量2", charge_by="weight", rules=[DEFAULT_RULE, rule("浙江省", "上海市")]
            ),
            headers=owner,
        ),
        200,
    )
    assert replaced["name"] == "按重量2" and len(replaced["rules"]) == 2
    got = expect(await client.get(templates_url(store_id, f"/{second['id']}"), headers=owner), 200)
    assert got == replaced


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"rules": [DEFAULT_RULE, rule("浙江")]}, "unknown_province"),
        ({"rules": [DEFAULT_RULE], "unreachable_provinces": ["火星"]}, "unknown_province"),
        (
            {"rules": [DEFAULT_RULE, rule("浙江省"), rule("江苏省", "浙江省")]},
            "province_in_two_rules",
        ),
        ({"rules": [DEFAULT_RULE, rule("浙江省", "浙江省")]}, "province_in_two_rules"),
        ({"rules": [DEFAULT_RULE, dict(DEFAULT_RULE)]}, "default_rule_count"),
        ({"rules": [rule("浙江省")]}, "default_rule_count"),
        ({"unreachable_provinces": ["台湾省", "台湾省"]}, "duplicate_province"),
        ({"unreachable_provinces": ["西藏自治区"]}, "unreachable_province_priced"),
        ({"rules": [dict(DEFAULT_RULE, first_units=0)]}, "invalid_input"),
        ({"rules": [dict(DEFAULT_RULE, additional_units=0)]}, "invalid_input"),
        ({"rules": [dict(DEFAULT_RULE, first_fee_fen=-1)]}, "invalid_input"),
        ({"rules": []}, "invalid_input"),
        ({"charge_by": "volume"}, "invalid_input"),
        ({"free_over_fen": 1.5}, "invalid_input"),
    ],
)
async def test_bad_templates_are_422_with_a_code(api, client, runtime, changes, code):
    store_id, owner = await api.new_store()
    answer = await client.post(
        templates_url(store_id), json=template_body(**changes), headers=owner
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == code
    async with runtime.db.session(write=False) as session:
        assert (await session.scalars(select(ShippingTemplate))).all() == []


async def test_names_are_unique_in_a_store(api, client):
    store_id, owner = await api.new_store()
    await create_template(api, store_id, owner, name="同名")
    again = await client.post(templates_url(store_id), json=template_body("同名"), headers=owner)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_template_name"
    other_store, other_owner = await api.new_store()
    await create_template(api, other_store, other_owner, name="同名")


async def test_one_default_per_store(api, client, runtime):
    store_id, owner = await api.new_store()
    a = await create_template(api, store_id, owner, name="A")
    b = await create_template(api, store_id, owner, name="B", is_default=True)
    assert b["is_default"] is True
    listed = expect(await client.get(templates_url(store_id), headers=owner), 200)
    assert [t["is_default"] for t in listed] == [False, True]

    made = expect(
        await client.post(templates_url(store_id, f"/{a['id']}/default"), headers=owner), 200
    )
    assert made["is_default"] is True
    listed = expect(await client.get(templates_url(store_id), headers=owner), 200)
    assert [t["is_default"] for t in listed] == [True, False]

    # The database itself refuses a second default, whatever the code above it does.
    with pytest.raises(IntegrityError):
        async with runtime.db.transaction() as session:
            row = await session.get(ShippingTemplate, b["id"])
            row.is_default = True
            await session.flush()


async def test_concurrent_set_default_leaves_exactly_one(api, runtime):
    store_id, owner = await api.new_store()
    ids = [(await create_template(api, store_id, owner, name=f"T{i}"))["id"] for i in range(5)]
    scope = StoreScope(store_id=store_id, actor_id=1, role="owner")

    async def make_default(template_id: int) -> None:
        async with runtime.db.transaction() as session:
            await service.set_default(session, scope, template_id)

    await asyncio.gather(*(make_default(i) for i in ids))
    async with runtime.db.session(write=False) as session:
        defaults = (
            await session.scalars(
                select(ShippingTemplate.id).where(
                    ShippingTemplate.store_id == store_id, ShippingTemplate.is_default
                )
            )
        ).all()
    assert len(defaults) == 1


async def test_delete(api, client):
    store_id, owner = await api.new_store()
    a = await create_template(api, store_id, owner, name="A")
    b = await create_template(api, store_id, owner, name="B")
    refused = await client.delete(templates_url(store_id, f"/{a['id']}"), headers=owner)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "template_is_default"
    expect(await client.delete(templates_url(store_id, f"/{b['id']}"), headers=owner), 204)
    # The last one may go, default or not.
    expect(await client.delete(templates_url(store_id, f"/{a['id']}"), headers=owner), 204)
    assert expect(await client.get(templates_url(store_id), headers=owner), 200) == []
    gone = await client.get(templates_url(store_id, f"/{a['id']}"), headers=owner)
    assert gone.status_code == 404


async def test_another_stores_templates_answer_404(api, client):
    store_a, owner_a = await api.new_store()
    store_b, owner_b = await api.new_store()
    theirs = await create_template(api, store_b, owner_b)
    for method, path, body in [
        ("GET", f"/{theirs['id']}", None),
        ("PUT", f"/{theirs['id']}", template_body("抢")),
        ("POST", f"/{theirs['id']}/default", None),
        ("DELETE", f"/{theirs['id']}", None),
    ]:
        # Their template through my store, and their store itself: both do not exist for me.
        mine = await client.request(
            method, templates_url(store_a, path), json=body, headers=owner_a
        )
        assert mine.status_code == 404, (method, path, mine.text)
        direct = await client.request(
            method, templates_url(store_b, path), json=body, headers=owner_a
        )
        assert direct.status_code == 404, (method, path, direct.text)
    assert expect(await client.get(templates_url(store_a), headers=owner_a), 200) == []
    unchanged = expect(
        await client.get(templates_url(store_b, f"/{theirs['id']}"), headers=owner_b), 200
    )
    assert unchanged == theirs


async def test_roles(api, client):
    store_id, owner = await api.new_store()
    finance = await api.add_staff(store_id, owner, "finance")
    operator = await api.add_staff(store_id, owner, "operator")
    refused = await client.post(templates_url(store_id), json=template_body(), headers=finance)
    assert refused.status_code == 403
    created = expect(
        await client.post(templates_url(store_id), json=template_body(), headers=operator), 201
    )
    expect(await client.get(templates_url(store_id, f"/{created['id']}"), headers=finance), 200)


async def test_products_use_templates(api, client):
    store_id, owner = await api.new_store()
    other_store, other_owner = await api.new_store()
    a = await create_template(api, store_id, owner, name="A")
    b = await create_template(api, store_id, owner, name="B")
    foreign = await create_template(api, other_store, other_owner)
    products = f"/api/v1/merchant/stores/{store_id}/products"
    body = {"title": "茶", "specs": [], "default_price_fen": 100, "default_stock": 1}

    product = expect(
        await client.post(products, json=dict(body, shipping_template_id=b["id"]), headers=owner),
        201,
    )
    assert product["shipping_template_id"] == b["id"]
    plain = expect(await client.post(products, json=body, headers=owner), 201)
    assert plain["shipping_template_id"] is None

    for bad in (foreign["id"], 10**9):
        refused = await client.post(
            products, json=dict(body, shipping_template_id=bad), headers=owner
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "unknown_shipping_template"
        patched = await client.patch(
            f"{products}/{plain['id']}", json={"shipping_template_id": bad}, headers=owner
        )
        assert patched.status_code == 422

    moved = expect(
        await client.patch(
            f"{products}/{product['id']}", json={"shipping_template_id": a["id"]}, headers=owner
        ),
        200,
    )
    assert moved["shipping_template_id"] == a["id"]
    untouched = expect(
        await client.patch(f"{products}/{product['id']}", json={"title": "好茶"}, headers=owner),
        200,
    )
    assert untouched["shipping_template_id"] == a["id"]

    # A template in use stays; make B the default so that A is only blocked by its product.
    expect(await client.post(templates_url(store_id, f"/{b['id']}/default"), headers=owner), 200)
    in_use = await client.delete(templates_url(store_id, f"/{a['id']}"), headers=owner)
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "template_in_use"
    expect(await client.get(templates_url(store_id, f"/{a['id']}"), headers=owner), 200)

    cleared = expect(
        await client.patch(
            f"{products}/{product['id']}", json={"shipping_template_id": None}, headers=owner
        ),
        200,
    )
    assert cleared["shipping_template_id"] is None
    expect(await client.delete(templates_url(store_id, f"/{a['id']}"), headers=owner), 204)


async def test_shipping_for_pricing(api, runtime):
    store_a, owner_a = await api.new_store()
    store_b, owner_b = await api.new_store()
    store_c, _ = await api.new_store()
    a1 = await create_template(api, store_a, owner_a, name="A1")
    a2 = await create_template(
        api, store_a, owner_a, name="A2", charge_by="weight", free_over_fen=None, is_default=True
    )
    b1 = await create_template(api, store_b, owner_b, name="B1")

    async with runtime.db.session(write=False) as session:
        templates, defaults = await service.shipping_for_pricing(
            session, [store_a, store_b, store_c]
        )
        only_b, only_b_defaults = await service.shipping_for_pricing(session, [store_b])
    assert [t.id for t in templates] == [a1["id"], a2["id"], b1["id"]]
    assert defaults == {store_a: a2["id"], store_b: b1["id"]}
    assert all(isinstance(t, pricing.ShippingTemplate) for t in templates)
    weight = templates[1]
    assert weight.charge_by == ChargeBy.WEIGHT.value and weight.free_over_fen is None
    first = templates[0]
    assert first.free_over_fen == 9900
    assert first.unreachable_provinces == frozenset({"台湾省"})
    assert first.rules[0].provinces == frozenset()
    assert first.rules[1] == pricing.ShippingRule(
        provinces=frozenset({"新疆维吾尔自治区", "西藏自治区"}),
        first_units=1,
        first_fee_fen=2000,
        additional_units=1,
        additional_fee_fen=1000,
    )
    assert [t.id for t in only_b] == [b1["id"]] and only_b_defaults == {store_b: b1["id"]}
