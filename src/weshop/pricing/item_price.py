"""Step 1, the item price of each line: base, member price or campaign price.

The member price is ``pay_percent`` of the base, rounded half-up to the fen per unit, for
lines the store's member level covers. A campaign price above the base is ignored. Of the
two, the lower unit price applies (ties go to the campaign, whose label the shopper saw on
the product page) — unless a campaign is ``exclusive``: then its price applies and the member
price does not, even when the member price would be lower (an exclusive campaign at the base
price still shows, saving 0, as the reason no member price applies).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from weshop.pricing.inputs import (
    CampaignPrice,
    CartLine,
    Funder,
    MemberDiscount,
    PricingContext,
)
from weshop.pricing.worksheet import Entry, WorkLine


def member_unit_fen(base_fen: int, pay_percent: int) -> int:
    """``pay_percent`` of ``base_fen``, rounded half-up to the fen."""
    return (base_fen * pay_percent + 50) // 100


def item_prices(lines: Sequence[CartLine], context: PricingContext) -> list[WorkLine]:
    members: dict[int, list[MemberDiscount]] = defaultdict(list)
    for member in context.member_discounts:
        members[member.store_id].append(member)
    campaigns: dict[int, list[CampaignPrice]] = defaultdict(list)
    for campaign in context.campaign_prices:
        campaigns[campaign.sku_id].append(campaign)
    work = []
    for line in lines:
        unit, entry, campaign = _best_unit(
            line, members.get(line.store_id, ()), campaigns.get(line.sku_id, ())
        )
        work.append(
            WorkLine(
                cart=line,
                unit_fen=unit,
                payable_fen=unit * line.quantity,
                entries=[] if entry is None else [entry],
                campaign_kind=None if campaign is None else campaign.kind,
            )
        )
    return work


def _best_unit(
    line: CartLine, members: Sequence[MemberDiscount], campaigns: Sequence[CampaignPrice]
) -> tuple[int, Entry | None, CampaignPrice | None]:
    """The line's unit price, its adjustment, and the campaign that set it (None: none did)."""
    base = line.unit_price_fen
    best_unit, best_entry, best_campaign = base, None, None
    offers = [campaign for campaign in campaigns if campaign.price_fen <= base]
    if offers:
        exclusive = [campaign for campaign in offers if campaign.exclusive]
        if exclusive:
            campaign = min(exclusive, key=_price)
            return campaign.price_fen, _campaign_entry(line, campaign), campaign
        campaign = min(offers, key=_price)
        if campaign.price_fen < base:
            best_unit, best_entry = campaign.price_fen, _campaign_entry(line, campaign)
            best_campaign = campaign
    # After the campaign, so that a member price must be strictly lower to win a tie.
    for member in members:
        if not member.scope.covers(line):
            continue
        unit = member_unit_fen(base, member.pay_percent)
        if unit < best_unit:
            entry = Entry(
                kind="member_price",
                source_id=str(member.level_id),
                label=member.level_name,
                amount_fen=(unit - base) * line.quantity,
                funded_by=Funder.MERCHANT,
            )
            best_unit, best_entry, best_campaign = unit, entry, None
    return best_unit, best_entry, best_campaign


def _price(campaign: CampaignPrice) -> int:
    return campaign.price_fen


def _campaign_entry(line: CartLine, campaign: CampaignPrice) -> Entry:
    return Entry(
        kind="campaign_price",
        source_id=campaign.source_id,
        label=campaign.label,
        amount_fen=(campaign.price_fen - line.unit_price_fen) * line.quantity,
        funded_by=campaign.funded_by,
    )
