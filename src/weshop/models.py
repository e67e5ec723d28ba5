"""Every table, imported in one place for Alembic and for ``create_all`` in tests."""

from weshop.accounts.models import Address, AuthSession, LoginCode, User
from weshop.affiliates import models as affiliates_models  # noqa: F401  (the pool tables)
from weshop.aftersales import models as aftersales_models  # noqa: F401  (the after-sales tables)
from weshop.bargain import models as bargain_models  # noqa: F401  (the bargain tables)
from weshop.cart.models import CartItem
from weshop.catalog import visit_models  # noqa: F401  (the visit counters, browsing history)
from weshop.catalog.models import Category, Favourite, Product, Sku
from weshop.core.db import Base
from weshop.core.idempotency import IdempotencyRecord
from weshop.core.lockout import FailureLock
from weshop.core.outbox import OutboxMessage
from weshop.core.ratelimit import RateCounter
from weshop.flashsale.models import FlashAttempt, FlashBuyer, FlashItem, FlashSession
from weshop.groupbuy.models import Group, GroupCampaign, GroupMember, GroupPrice, ShopperUnits
from weshop.inventory.models import (
    StockLevel,
    StockMovement,
    StockReservation,
    Warehouse,
    WarehouseStock,
)
from weshop.ledger.models import (
    FeeRate,
    JournalEntry,
    LedgerAccount,
    OrderFeeTerms,
    Posting,
    StoreFeePlan,
)
from weshop.logistics.models import PickupPoint, ShippingTemplate
from weshop.media.models import MediaAsset
from weshop.members.models import MemberLevel, MemberRules, Membership, PointsEntry
from weshop.orders.models import Order, OrderEvent, OrderLine, OrderPickup, Shipment
from weshop.payments.applyment_models import ApplymentProgress
from weshop.payments.models import (
    CombinedPayment,
    Payment,
    PaymentNotification,
    Refund,
    RefundPart,
    StorePaymentAccount,
)
from weshop.promotions.models import (
    CouponClaimCounter,
    CouponTemplate,
    FullReductionRule,
    ShopperCoupon,
    StoreStackingSettings,
)
from weshop.reviews import models as reviews_models  # noqa: F401  (the review tables)
from weshop.stores.models import StaffMember, Store, StoreApplication, StoreApplicationImage
from weshop.wechat import models as wechat_models  # noqa: F401  (the WeChat tables)
from weshop.wechat import share_models as wechat_share_models  # noqa: F401  (mini-program codes)

metadata = Base.metadata

__all__ = [
    "Address",
    "ApplymentProgress",
    "AuthSession",
    "CartItem",
    "Category",
    "CombinedPayment",
    "CouponClaimCounter",
    "CouponTemplate",
    "FailureLock",
    "Favourite",
    "FeeRate",
    "FlashAttempt",
    "FlashBuyer",
    "FlashItem",
    "FlashSession",
    "FullReductionRule",
    "Group",
    "GroupCampaign",
    "GroupMember",
    "GroupPrice",
    "IdempotencyRecord",
    "JournalEntry",
    "LedgerAccount",
    "LoginCode",
    "MediaAsset",
    "MemberLevel",
    "MemberRules",
    "Membership",
    "Order",
    "OrderEvent",
    "OrderFeeTerms",
    "OrderLine",
    "OrderPickup",
    "OutboxMessage",
    "Payment",
    "PaymentNotification",
    "PickupPoint",
    "PointsEntry",
    "Posting",
    "Product",
    "RateCounter",
    "Refund",
    "RefundPart",
    "Shipment",
    "ShippingTemplate",
    "ShopperCoupon",
    "ShopperUnits",
    "Sku",
    "StaffMember",
    "StockLevel",
    "StockMovement",
    "StockReservation",
    "Store",
    "StoreApplication",
    "StoreApplicationImage",
    "StoreFeePlan",
    "StorePaymentAccount",
    "StoreStackingSettings",
    "User",
    "Warehouse",
    "WarehouseStock",
    "metadata",
]
