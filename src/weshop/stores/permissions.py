"""What each staff role may do, as data. The console and the API both read this table."""

from __future__ import annotations

import enum

from weshop.stores.models import Role


class Permission(enum.StrEnum):
    STORE_SETTINGS = "store.settings"
    STAFF_MANAGE = "staff.manage"
    STAFF_READ = "staff.read"
    CATALOG_READ = "catalog.read"
    CATALOG_WRITE = "catalog.write"
    STOCK_WRITE = "stock.write"
    ORDERS_READ = "orders.read"
    ORDERS_FULFIL = "orders.fulfil"
    ORDERS_CANCEL = "orders.cancel"
    PERSONAL_DATA_READ = "personal_data.read"
    FINANCE_READ = "finance.read"
    REFUNDS_WRITE = "refunds.write"
    MEMBERS_READ = "members.read"
    MEMBERS_WRITE = "members.write"
    SHIPPING_WRITE = "shipping.write"
    PROMOTIONS_READ = "promotions.read"
    PROMOTIONS_WRITE = "promotions.write"
    REVIEWS_WRITE = "reviews.write"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.STAFF_READ,
            Permission.CATALOG_READ,
            Permission.CATALOG_WRITE,
            Permission.STOCK_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_FULFIL,
            Permission.MEMBERS_READ,
            Permission.MEMBERS_WRITE,
            Permission.SHIPPING_WRITE,
            Permission.PERSONAL_DATA_READ,
            Permission.PROMOTIONS_READ,
            Permission.PROMOTIONS_WRITE,
            Permission.REVIEWS_WRITE,
        }
    ),
    Role.FINANCE: frozenset(
        {
            Permission.STAFF_READ,
            Permission.CATALOG_READ,
            Permission.ORDERS_READ,
            Permission.ORDERS_CANCEL,
            Permission.FINANCE_READ,
            Permission.REFUNDS_WRITE,
            Permission.PROMOTIONS_READ,
        }
    ),
    Role.CUSTOMER_SERVICE: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.ORDERS_READ,
            Permission.ORDERS_CANCEL,
            Permission.REFUNDS_WRITE,
            Permission.MEMBERS_READ,
            Permission.PERSONAL_DATA_READ,
            Permission.REVIEWS_WRITE,
        }
    ),
}


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
