"""Campaign orders: an order for one SKU at a social campaign's price (group buying,
bargaining, flash sales), placed and priced by the one checkout.

The campaign domains above orders decide who may buy and at what price; they hand checkout a
:class:`CampaignOffer`, and the order is an ordinary order (same payment, refund, ledger,
settlement) that carries its campaign (``Order.campaign_kind``, ``campaign_id``,
``campaign_entry_id``). The price goes to the pricing core as a ``CampaignPrice`` of the
campaign's kind on the campaign's channel, so the quote explains it like any adjustment and
the store's stacking rules decide whether coupons and full reductions still apply. What
happens to the order later reaches the campaign through ``orders.events``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput
from weshop.orders.checkout import OrderTerms, PlacedCheckout, place_orders, price_basket
from weshop.orders.models import CampaignKind
from weshop.orders.schemas import CheckoutIn, CheckoutItem, QuoteIn
from weshop.pricing.inputs import CampaignPrice, Funder
from weshop.pricing.quote import Quote


@dataclass(frozen=True)
class CampaignOffer:
    """One SKU at a campaign's unit price, and what the order placed at it carries.

    ``entry_id``: the campaign domain's row this order belongs to (a group, a bargain, a
    flash attempt). ``holds_stock``: the campaign holds the units itself (flash stock), so the
    order reserves no regular stock. ``hold_shipping``: the order may not ship until the
    campaign releases it (``orders.service.release_shipping_hold``).
    ``payment_window_minutes``: None for the store's window."""

    kind: CampaignKind
    campaign_id: int
    entry_id: int | None
    sku_id: int
    price_fen: int
    label: str
    holds_stock: bool = False
    hold_shipping: bool = False
    payment_window_minutes: int | None = None
    funded_by: Funder = Funder.MERCHANT

    def terms(self) -> OrderTerms:
        return OrderTerms(
            campaign_kind=self.kind,
            campaign_id=self.campaign_id,
            campaign_entry_id=self.entry_id,
            campaign_prices=(
                CampaignPrice(
                    sku_id=self.sku_id,
                    price_fen=self.price_fen,
                    kind=self.kind.value,
                    source_id=f"{self.kind.value}:{self.campaign_id}",
                    label=self.label,
                    # The campaign's price is the price: a member price never replaces it.
                    exclusive=True,
                    funded_by=self.funded_by,
                ),
            ),
            campaign_holds_stock=self.holds_stock,
            shipping_held=self.hold_shipping,
            payment_window_minutes=self.payment_window_minutes,
        )


async def quote_campaign_order(
    session: AsyncSession, user: User, offer: CampaignOffer, quantity: int, address_id: int | None
) -> Quote:
    """What the shopper would pay for ``quantity`` of the offer's SKU, with their own
    coupons and points as the store's stacking rules allow. Reads only."""
    basket = QuoteIn(
        items=[CheckoutItem(sku_id=offer.sku_id, quantity=quantity)], address_id=address_id
    )
    priced = await price_basket(session, user, basket, address_id, utcnow(), offer.terms())
    return priced.quote


async def place_campaign_order(
    session: AsyncSession, user: User, offer: CampaignOffer, data: CheckoutIn
) -> PlacedCheckout:
    """Place one order for the offer's SKU (``data.items`` must be exactly that SKU) at the
    campaign price, in the caller's write transaction; refuses a basket of anything else
    with 422 ``invalid_campaign_basket``."""
    if len(data.items) != 1 or data.items[0].sku_id != offer.sku_id or data.from_cart:
        raise InvalidInput(
            "a campaign order is for the campaign's one item", code="invalid_campaign_basket"
        )
    return await place_orders(session, user, data, offer.terms())
