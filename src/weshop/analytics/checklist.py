"""新手引导: the first-run checklist of a store's console home. Each step ticks itself from
what the store really has (no manual ticking), and links to the page that does it; once
every step is done the home page hides the list (it can still be opened)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.catalog.models import Product, ProductStatus
from weshop.logistics.models import ShippingTemplate
from weshop.payments.models import StorePaymentAccount
from weshop.promotions.models import CouponTemplate
from weshop.stores.models import Store
from weshop.stores.permissions import Permission
from weshop.web.errors import N_


@dataclass(frozen=True)
class Step:
    key: str
    title: str  # an English msgid, translated by the page
    hint: str
    path: str  # below the store's console base
    done: bool
    # What the page of the step needs: staff without it see the step without its link.
    permission: Permission = Permission.STORE_SETTINGS
    # What is under way, when the step is not done yet (an application's state).
    progress: str = ""


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


async def store_checklist(
    session: AsyncSession, store_id: int, *, sub_merchant_needed: bool
) -> Checklist:
    """One statement. The payment-account step is asked only where the installation pays
    each store as a sub-merchant (WeChat Pay partner mode)."""
    published = exists().where(
        Product.store_id == store_id, Product.status == ProductStatus.PUBLISHED
    )
    shipping = exists().where(ShippingTemplate.store_id == store_id)
    coupon = exists().where(CouponTemplate.store_id == store_id)
    account = (
        select(StorePaymentAccount.sub_mchid, StorePaymentAccount.applyment_state)
        .where(StorePaymentAccount.store_id == store_id)
        .order_by(StorePaymentAccount.sub_mchid.is_(None), StorePaymentAccount.id)
        .limit(1)
        .subquery()
    )
    row = (
        await session.execute(
            select(
                Store.logo_url != "",
                published,
                shipping,
                coupon,
                select(account.c.sub_mchid).scalar_subquery(),
                select(account.c.applyment_state).scalar_subquery(),
            ).where(Store.id == store_id)
        )
    ).one()
    has_logo, has_product, has_shipping, has_coupon, sub_mchid, applyment = row
    steps = [
        Step(
            "logo",
            N_("Set your store's logo"),
            N_("Shoppers see it on your store's home and on shared cards."),
            "/settings",
            bool(has_logo),
        ),
        Step(
            "product",
            N_("Publish your first product"),
            N_("Add photos, specs and prices, then put it on sale."),
            "/products/new",
            bool(has_product),
            permission=Permission.CATALOG_WRITE,
        ),
        Step(
            "shipping",
            N_("Set up a shipping template"),
            N_("Where you ship to and what delivery costs."),
            "/shipping/new",
            bool(has_shipping),
            permission=Permission.SHIPPING_WRITE,
        ),
    ]
    if sub_merchant_needed:
        steps.append(
            Step(
                "payment",
                N_("Open your payment account"),
                N_("Apply as a WeChat Pay sub-merchant so that payments reach your store."),
                "/payments/applyment",
                sub_mchid is not None,
                progress=applyment or "",
            )
        )
    steps.append(
        Step(
            "coupon",
            N_("Create your first coupon"),
            N_("A welcome coupon turns visitors into first orders."),
            "/coupons/new",
            bool(has_coupon),
            permission=Permission.PROMOTIONS_WRITE,
        )
    )
    return Checklist(steps)
