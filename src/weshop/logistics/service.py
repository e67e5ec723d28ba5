"""Shipping templates of a store, and their hand-over to the pricing core.

A template prices delivery per piece or per gram with one rule per group of provinces and
exactly one default rule for the rest. The store's default template applies to products that
name none; the database keeps at most one default per store and refuses to delete a template
that products still use.

Every template write takes the store's row lock first, so that checks across its templates
(the one default, unique names) see no concurrent change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound
from weshop.core.read_cache import kept_read
from weshop.core.regions import PROVINCE_SET
from weshop.core.tenancy import StoreScope
from weshop.logistics import repository as repo
from weshop.logistics.models import ShippingTemplate
from weshop.logistics.schemas import ShippingRuleIn, ShippingTemplateChange, ShippingTemplateIn
from weshop.pricing import inputs as pricing
from weshop.stores.models import Store

MAX_TEMPLATES = 50


def _repeated(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def check_rules(rules: Sequence[ShippingRuleIn], unreachable: Sequence[str]) -> None:
    """Refuse unknown province names, a province priced twice or both priced and unreachable,
    and anything but exactly one default rule."""
    named = [province for rule in rules for province in rule.provinces]
    unknown = sorted({p for p in [*named, *unreachable] if p not in PROVINCE_SET})
    if unknown:
        raise InvalidInput(
            "unknown province names; use the full official name, e.g. 浙江省",
            code="unknown_province",
            details={"provinces": unknown},
        )
    if twice := _repeated(named):
        raise InvalidInput(
            "a province may appear in one rule only",
            code="province_in_two_rules",
            details={"provinces": twice},
        )
    if twice := _repeated(unreachable):
        raise InvalidInput(
            "unreachable provinces must be distinct",
            code="duplicate_province",
            details={"provinces": twice},
        )
    if both := sorted(set(named) & set(unreachable)):
        raise InvalidInput(
            "a province cannot be both priced and unreachable",
            code="unreachable_province_priced",
            details={"provinces": both},
        )
    defaults = sum(1 for rule in rules if not rule.provinces)
    if defaults != 1:
        raise InvalidInput(
            f"a template needs exactly one default rule (with no provinces); it has {defaults}",
            code="default_rule_count",
        )


async def _check_name_free(
    session: AsyncSession, store_id: int, name: str, exclude_id: int | None = None
) -> None:
    if await repo.named(session, store_id, name, exclude_id) is not None:
        raise Conflict(
            "another shipping template of this store has this name", code="duplicate_template_name"
        )


def _fill(template: ShippingTemplate, data: ShippingTemplateChange) -> None:
    template.name = data.name
    template.charge_by = data.charge_by
    template.rules = [rule.model_dump() for rule in data.rules]
    template.free_over_fen = data.free_over_fen
    template.unreachable_provinces = list(data.unreachable_provinces)


async def _make_default(session: AsyncSession, template: ShippingTemplate) -> None:
    # Clear the old default first: the partial unique index is checked per statement.
    await session.flush()
    await repo.clear_default(session, template.store_id, keep_id=template.id)
    template.is_default = True
    await session.flush()


async def list_templates(session: AsyncSession, scope: StoreScope) -> list[ShippingTemplate]:
    return await repo.templates_of(session, [scope.store_id])


async def get_template(
    session: AsyncSession, scope: StoreScope, template_id: int
) -> ShippingTemplate:
    template = await repo.template(session, scope.store_id, template_id)
    if template is None:
        raise NotFound("no such shipping template")
    return template


async def usable_template(session: AsyncSession, store_id: int, template_id: int) -> None:
    """A template named in a request body (a product's): unknown is bad input (422), not a
    missing page."""
    if await repo.template(session, store_id, template_id) is None:
        raise InvalidInput(
            "no such shipping template in this store", code="unknown_shipping_template"
        )


async def create_template(
    session: AsyncSession, scope: StoreScope, data: ShippingTemplateIn
) -> ShippingTemplate:
    check_rules(data.rules, data.unreachable_provinces)
    await lock_row(session, Store, scope.store_id)
    count = await repo.count_templates(session, scope.store_id)
    if count >= MAX_TEMPLATES:
        raise Conflict(f"a store has at most {MAX_TEMPLATES} shipping templates", code="too_many")
    await _check_name_free(session, scope.store_id, data.name)
    template = ShippingTemplate(store_id=scope.store_id, is_default=False)
    _fill(template, data)
    session.add(template)
    if data.is_default or count == 0:
        await _make_default(session, template)
    await session.flush()
    return template


async def replace_template(
    session: AsyncSession, scope: StoreScope, template_id: int, data: ShippingTemplateChange
) -> ShippingTemplate:
    check_rules(data.rules, data.unreachable_provinces)
    await lock_row(session, Store, scope.store_id)
    template = await get_template(session, scope, template_id)
    await _check_name_free(session, scope.store_id, data.name, exclude_id=template.id)
    _fill(template, data)
    await session.flush()
    return template


async def set_default(
    session: AsyncSession, scope: StoreScope, template_id: int
) -> ShippingTemplate:
    await lock_row(session, Store, scope.store_id)
    template = await get_template(session, scope, template_id)
    await _make_default(session, template)
    return template


async def delete_template(session: AsyncSession, scope: StoreScope, template_id: int) -> None:
    """Products still using the template keep it (409); so does the default while others
    exist, since products without a template would silently ship free."""
    await lock_row(session, Store, scope.store_id)
    template = await get_template(session, scope, template_id)
    if template.is_default and await repo.count_templates(session, scope.store_id) > 1:
        raise Conflict(
            "make another template the default before deleting this one",
            code="template_is_default",
        )
    await session.flush()
    try:
        # The products' foreign key decides: no race between a check and the delete.
        async with session.begin_nested():
            await session.delete(template)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "products use this shipping template; give them another first",
            code="template_in_use",
        ) from None


def to_pricing(template: ShippingTemplate) -> pricing.ShippingTemplate:
    return pricing.ShippingTemplate(
        id=template.id,
        store_id=template.store_id,
        name=template.name,
        charge_by=template.charge_by.value,
        rules=tuple(
            pricing.ShippingRule(
                provinces=frozenset(rule["provinces"]),
                first_units=rule["first_units"],
                first_fee_fen=rule["first_fee_fen"],
                additional_units=rule["additional_units"],
                additional_fee_fen=rule["additional_fee_fen"],
            )
            for rule in template.rules
        ),
        free_over_fen=template.free_over_fen,
        unreachable_provinces=frozenset(template.unreachable_provinces),
    )


async def shipping_for_pricing(
    session: AsyncSession, store_ids: Iterable[int]
) -> tuple[tuple[pricing.ShippingTemplate, ...], dict[int, int]]:
    """Every shipping template of ``store_ids`` as pricing values (ordered by store, then id),
    and each store's default template id. A store without templates appears in neither: its
    goods ship free. Lines name their product's template in ``CartLine.shipping_template_id``;
    a line naming none uses its store's default. Kept between calls until a template changes
    (core.read_cache)."""
    wanted = tuple(sorted(set(store_ids)))

    async def read() -> tuple[tuple[pricing.ShippingTemplate, ...], tuple[tuple[int, int], ...]]:
        rows = await repo.templates_of(session, wanted)
        defaults = tuple((row.store_id, row.id) for row in rows if row.is_default)
        return tuple(to_pricing(row) for row in rows), defaults

    templates, defaults = await kept_read(session, ("shipping_for_pricing", wanted), read)
    return templates, dict(defaults)


def pricing_versions(store_ids: Select) -> list[Select]:
    """Versions of what ``shipping_for_pricing`` reads for the stores ``store_ids`` selects
    (``core.versions``)."""
    return repo.pricing_versions(store_ids)
