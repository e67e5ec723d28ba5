"""Step 1: member price, campaign price, and which of the two a line gets."""

from __future__ import annotations

from tests.pricing.factories import adjustments, context, line, products
from weshop.pricing.inputs import CampaignPrice, Funder, MemberDiscount
from weshop.pricing.quote import price


def member(pay_percent: int, *, store: int = 1, **fields: object) -> MemberDiscount:
    return MemberDiscount(
        store_id=store, level_id=7, level_name="Gold", pay_percent=pay_percent, **fields
    )


def campaign(sku_id: int, price_fen: int, *, exclusive: bool = False) -> CampaignPrice:
    return CampaignPrice(
        sku_id=sku_id,
        price_fen=price_fen,
        kind="flash_sale",
        source_id=f"flash-{sku_id}",
        label="Flash sale",
        exclusive=exclusive,
        funded_by=Funder.PLATFORM,
    )


def test_without_promotions_a_line_pays_its_list_price() -> None:
    quote = price([line(1, 1999, 3)], context())
    (quote_line,) = quote.lines
    assert (quote_line.unit_price_fen, quote_line.subtotal_fen, quote_line.payable_fen) == (
        1999,
        5997,
        5997,
    )
    assert quote_line.adjustments == ()
    assert (quote.subtotal_fen, quote.discount_fen, quote.payable_fen) == (5997, 0, 5997)


def test_member_price_rounds_half_up_to_the_fen_per_unit() -> None:
    # 1990 * 95% = 1890.5 -> 1891 a unit; 3 units save (1891 - 1990) * 3 = 297.
    quote = price([line(1, 1990, 3), line(2, 1999)], context(member_discounts=(member(95),)))
    first, second = quote.lines
    assert (first.list_unit_price_fen, first.unit_price_fen, first.payable_fen) == (
        1990,
        1891,
        5673,
    )
    assert adjustments(quote, 1) == [("member_price", "7", -297)]
    assert second.unit_price_fen == 1899  # 1899.05 rounds down
    assert first.adjustments[0].label == "Gold"
    assert first.adjustments[0].funded_by == Funder.MERCHANT


def test_member_price_only_for_lines_its_scope_and_store_cover() -> None:
    lines = [line(1, 1000, product=10), line(2, 1000, product=20), line(3, 1000, store=2)]
    quote = price(lines, context(member_discounts=(member(90, scope=products(10)),)))
    assert [q.unit_price_fen for q in quote.lines] == [900, 1000, 1000]


def test_the_lower_of_member_and_campaign_price_applies() -> None:
    lines = [line(1, 10000), line(2, 10000), line(3, 10000)]
    quote = price(
        lines,
        context(
            member_discounts=(member(90),),
            campaign_prices=(campaign(1, 8500), campaign(2, 9500), campaign(3, 9000)),
        ),
    )
    assert adjustments(quote, 1) == [("campaign_price", "flash-1", -1500)]
    assert adjustments(quote, 2) == [("member_price", "7", -1000)]
    # A tie goes to the campaign, whose label the shopper saw on the product page.
    assert adjustments(quote, 3) == [("campaign_price", "flash-3", -1000)]
    assert quote.lines[0].adjustments[0].funded_by == Funder.PLATFORM


def test_a_campaign_price_above_the_base_is_ignored() -> None:
    quote = price(
        [line(1, 10000, 2), line(2, 10000)],
        context(
            member_discounts=(member(90),),
            campaign_prices=(campaign(1, 12000), campaign(2, 11000, exclusive=True)),
        ),
    )
    assert adjustments(quote, 1) == [("member_price", "7", -2000)]
    assert adjustments(quote, 2) == [("member_price", "7", -1000)]


def test_an_exclusive_campaign_price_applies_even_when_the_member_price_is_lower() -> None:
    quote = price(
        [line(1, 10000, 2)],
        context(
            member_discounts=(member(80),), campaign_prices=(campaign(1, 9000, exclusive=True),)
        ),
    )
    assert quote.lines[0].unit_price_fen == 9000
    assert adjustments(quote, 1) == [("campaign_price", "flash-1", -2000)]
    assert quote.payable_fen == 18000


def test_quantity_multiplies_the_unit_saving_exactly() -> None:
    quote = price([line(1, 333, 9999)], context(member_discounts=(member(33),)))
    # 333 * 33% = 109.89 -> 110 a unit.
    assert quote.lines[0].unit_price_fen == 110
    assert quote.lines[0].payable_fen == 110 * 9999
    assert adjustments(quote, 1) == [("member_price", "7", (110 - 333) * 9999)]
