"""Step 5, shipping per store.

A store's lines are grouped by template (the line's own, else the store's default; lines with
neither ship free). Per template: units are pieces (sum of quantities) or grams (sum of
weight times quantity); the rule is the first one naming ``context.province``, else the one
naming no province (also when the province is not known yet); the fee is
``first_fee + ceil(max(0, units - first_units) / additional_units) * additional_fee``, or 0
once the store's goods payable (after every discount, points included) reaches the
template's ``free_over_fen``. A province the template cannot reach (listed unreachable, or no
rule for it) makes the whole store undeliverable, with no fee: checkout refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from weshop.core.errors import InvalidInput
from weshop.pricing.inputs import ShippingRule, ShippingTemplate
from weshop.pricing.worksheet import WorkLine


@dataclass(frozen=True, slots=True)
class Shipping:
    fee_fen: int
    deliverable: bool


# What a store whose goods the shopper collects at a pickup point ships: nothing.
PICKED_UP = Shipping(fee_fen=0, deliverable=True)


def template_fee(rule: ShippingRule, units: int) -> int:
    extra_units = max(0, units - rule.first_units)
    steps = -(-extra_units // rule.additional_units)  # ceiling division, in whole numbers
    return rule.first_fee_fen + steps * rule.additional_fee_fen


def find_rule(template: ShippingTemplate, province: str | None) -> ShippingRule | None:
    if province is not None:
        if province in template.unreachable_provinces:
            return None
        for rule in template.rules:
            if province in rule.provinces:
                return rule
    return next((rule for rule in template.rules if not rule.provinces), None)


def store_shipping(
    store_id: int,
    lines: Sequence[WorkLine],
    templates: Mapping[int, ShippingTemplate],
    default_template_id: int | None,
    province: str | None,
) -> Shipping:
    groups: dict[int, list[WorkLine]] = {}
    for line in lines:
        template_id = line.cart.shipping_template_id
        if template_id is None:
            template_id = default_template_id
        if template_id is not None:
            groups.setdefault(template_id, []).append(line)
    for template_id in groups:
        template = templates.get(template_id)
        if template is None or template.store_id != store_id:
            # A line pointing at a template the caller did not pass would otherwise ship free.
            raise InvalidInput(
                "a line names a shipping template that is not in the pricing context",
                code="unknown_shipping_template",
                details={"store_id": store_id, "template_id": template_id},
            )
    goods_payable = sum(line.payable_fen for line in lines)
    fee = 0
    for template_id, group in groups.items():
        template = templates[template_id]
        rule = find_rule(template, province)
        if rule is None:
            return Shipping(fee_fen=0, deliverable=False)
        if template.free_over_fen is not None and goods_payable >= template.free_over_fen:
            continue
        if template.charge_by == "piece":
            units = sum(line.cart.quantity for line in group)
        else:
            units = sum(line.cart.weight_grams * line.cart.quantity for line in group)
        fee += template_fee(rule, units)
    return Shipping(fee_fen=fee, deliverable=True)
