"""Properties of the allocation plan over random warehouses, stock and orders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from weshop.inventory.allocation import Site, allocate, nearness

PROVINCES = ["浙江省", "江苏省", "上海市", "广东省"]
SKUS = [1, 2, 3]

sites = st.lists(
    st.builds(
        Site,
        warehouse_id=st.just(0),
        province=st.sampled_from(PROVINCES),
        regions=st.lists(st.sampled_from(PROVINCES), max_size=2, unique=True).map(tuple),
        is_default=st.just(False),
        available=st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6)),
    ),
    min_size=1,
    max_size=4,
).map(
    lambda found: [
        Site(
            warehouse_id=index + 1,
            province=site.province,
            regions=site.regions,
            is_default=index == 0,
            available=site.available,
        )
        for index, site in enumerate(found)
    ]
)
orders = st.dictionaries(st.sampled_from(SKUS), st.integers(1, 8), min_size=1)
provinces = st.sampled_from([*PROVINCES, None])


def has_all(site: Site, wanted: dict[int, int]) -> bool:
    return all(site.has(sku, quantity) for sku, quantity in wanted.items())


@settings(max_examples=300, deadline=None)
@given(sites, orders, provinces)
def test_a_plan_covers_the_order_exactly_and_never_takes_more_than_a_warehouse_has(
    found, wanted, province
):
    plan = allocate(wanted, found, province)
    enough = all(sum(s.available.get(sku, 0) for s in found) >= n for sku, n in wanted.items())
    assert (plan is not None) == enough
    if plan is None:
        return
    by_id = {site.warehouse_id: site for site in found}
    assert set(plan) == set(wanted)
    for sku, parts in plan.items():
        assert sum(quantity for _, quantity in parts) == wanted[sku]
        assert len({warehouse for warehouse, _ in parts}) == len(parts)
        for warehouse, quantity in parts:
            assert 0 < quantity <= by_id[warehouse].available.get(sku, 0)


@settings(max_examples=300, deadline=None)
@given(sites, orders, provinces)
def test_one_warehouse_when_one_has_it_all_and_the_nearest_of_those(found, wanted, province):
    plan = allocate(wanted, found, province)
    complete = [site for site in found if has_all(site, wanted)]
    if not complete:
        return
    assert plan is not None
    used = {warehouse for parts in plan.values() for warehouse, _ in parts}
    assert len(used) == 1
    (chosen,) = used
    chosen_site = next(site for site in found if site.warehouse_id == chosen)
    assert chosen_site in complete
    assert nearness(chosen_site, province) == min(nearness(s, province) for s in complete)


@settings(max_examples=300, deadline=None)
@given(sites, orders, provinces)
def test_a_line_is_split_only_when_no_warehouse_has_all_of_it(found, wanted, province):
    plan = allocate(wanted, found, province)
    if plan is None:
        return
    for sku, parts in plan.items():
        if len(parts) > 1:
            assert not any(site.has(sku, wanted[sku]) for site in found)


def test_the_region_comes_before_the_province_and_the_province_before_the_default():
    default = Site(1, "上海市", is_default=True, available={1: 5})
    local = Site(2, "浙江省", available={1: 5})
    serving = Site(3, "江苏省", regions=("浙江省",), available={1: 5})
    assert allocate({1: 1}, [default, local, serving], "浙江省") == {1: [(3, 1)]}
    assert allocate({1: 1}, [default, local], "浙江省") == {1: [(2, 1)]}
    assert allocate({1: 1}, [default, local], "广东省") == {1: [(1, 1)]}
    assert allocate({1: 6}, [default, local], "浙江省") == {1: [(2, 5), (1, 1)]}
