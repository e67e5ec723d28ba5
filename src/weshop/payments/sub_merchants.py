"""Stores' accounts at providers that pay each store directly (WeChat Pay partner mode).

In partner mode the money of a payment lands at the store's sub-merchant, never at the
platform (no 二清); a store gets its ``sub_mchid`` through an onboarding application
(进件) or, when it already has one, from the platform operator.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.errors import Conflict
from weshop.payments.models import StorePaymentAccount
from weshop.payments.provider import PaymentProvider
from weshop.payments.wechatpay.applyments import FINISHED, Applyments
from weshop.payments.wechatpay.setup import wechatpay_configured
from weshop.stores import repository as stores_repo
from weshop.stores import service as stores

# The one provider with sub-merchants (WeChat Pay's partner mode).
WECHATPAY = "wechatpay"
DIRECT_MODE_MANY_STORES = "wechatpay_direct_mode_many_stores"
# Applications that are over without a sub-merchant: the next one needs a number of its own.
CLOSED_APPLYMENT_STATES = frozenset({"REJECTED", "CANCELED"})


async def account_of(
    session: AsyncSession, store_id: int, provider: str
) -> StorePaymentAccount | None:
    return await session.scalar(
        select(StorePaymentAccount).where(
            StorePaymentAccount.store_id == store_id, StorePaymentAccount.provider == provider
        )
    )


async def direct_mode_problem(session: AsyncSession, settings: Settings) -> str | None:
    """Why this installation must not take WeChat Pay payments as it is set up, or None.

    Direct mode is one merchant number of the installation's own: every payment lands there.
    With more than one store selling, that is the platform collecting its merchants' money
    (二清), which WeShop refuses; partner mode pays each store's own sub-merchant."""
    if not wechatpay_configured(settings) or settings.wechatpay_mode != "direct":
        return None
    return await _many_stores_problem(session)


async def refuse_direct_mode_for_many_stores(
    session: AsyncSession, provider: PaymentProvider
) -> None:
    """Before a payment opens at WeChat Pay in direct mode: 409
    ``wechatpay_direct_mode_many_stores`` while more than one store sells."""
    if provider.name != WECHATPAY or provider.partner:
        return
    problem = await _many_stores_problem(session)
    if problem is not None:
        raise Conflict(problem, code=DIRECT_MODE_MANY_STORES)


async def _many_stores_problem(session: AsyncSession) -> str | None:
    selling = await stores_repo.count_active_stores(session)
    if selling <= 1:
        return None
    return (
        f"WeChat Pay is in direct mode, where every payment lands on the installation's one "
        f"merchant number, and {selling} stores are selling: that would be the platform "
        "collecting its merchants' money (二清). Use partner mode (WESHOP_WECHATPAY_MODE="
        "partner) with a WeChat Pay sub-merchant for each store."
    )


async def sub_mchid_for(
    session: AsyncSession, store_id: int, provider: PaymentProvider
) -> str | None:
    """The store's sub-merchant number at a partner-mode provider; None for other providers.
    A store without one cannot be paid through that provider (409)."""
    if not provider.partner:
        return None
    account = await account_of(session, store_id, provider.name)
    if account is None or not account.sub_mchid:
        raise Conflict(
            f"this store has no sub-merchant at {provider.name} yet",
            code="store_has_no_sub_merchant",
            details={"provider": provider.name},
        )
    return account.sub_mchid


async def _open_account(session: AsyncSession, store_id: int, provider: str) -> StorePaymentAccount:
    await stores.get_store(session, store_id)  # 404 for a store that does not exist
    account = await account_of(session, store_id, provider)
    if account is None:
        account = StorePaymentAccount(store_id=store_id, provider=provider)
        session.add(account)
    return account


async def store_account(session: AsyncSession, store_id: int, provider: str) -> StorePaymentAccount:
    """The store's account at ``provider``, empty until a sub-merchant is recorded."""
    await stores.get_store(session, store_id)
    found = await account_of(session, store_id, provider)
    return found or StorePaymentAccount(store_id=store_id, provider=provider, applyment_state="")


async def record_sub_mchid(
    session: AsyncSession, store_id: int, provider: str, sub_mchid: str
) -> StorePaymentAccount:
    """The operator records a sub-merchant number the store already has."""
    account = await _open_account(session, store_id, provider)
    account.sub_mchid = sub_mchid
    await session.flush()
    return account


def require_applyments(applyments: Applyments | None) -> Applyments:
    """The onboarding API, or 409 when WeChat Pay is not configured."""
    return _configured(applyments)


def _configured(applyments: Applyments | None) -> Applyments:
    if applyments is None:
        raise Conflict("WeChat Pay is not configured", code="wechatpay_not_configured")
    return applyments


async def submit_applyment(
    session: AsyncSession, store_id: int, applyments: Applyments | None, form: dict[str, Any]
) -> StorePaymentAccount:
    """Send the store's onboarding application. Submitting again before it finished resends
    it under the same out_request_no, which WeChat Pay treats as the same application."""
    account = await _open_account(session, store_id, WECHATPAY)
    pay = _configured(applyments)
    if account.sub_mchid:
        raise Conflict("this store already has a sub-merchant", code="sub_merchant_exists")
    if account.out_request_no is None:
        # Derived from the store, so a submission whose answer was lost (and whose
        # transaction rolled back) is resent as the same application, not a second one.
        account.out_request_no = f"WS{store_id:012d}"
        account.applyment_state = "SUBMITTED"
    elif account.applyment_state in CLOSED_APPLYMENT_STATES:
        account.out_request_no = f"WS{store_id:012d}-{utcnow():%Y%m%d%H%M%S}"
        account.applyment_state = "SUBMITTED"
    await session.flush()
    await pay.submit(account.out_request_no, form)
    await session.flush()
    return account


async def refresh_applyment(
    session: AsyncSession, store_id: int, applyments: Applyments | None
) -> StorePaymentAccount:
    """Ask WeChat Pay where the application stands; once FINISH, record its sub_mchid."""
    account = await _open_account(session, store_id, WECHATPAY)
    pay = _configured(applyments)
    if account.out_request_no is None:
        raise Conflict("this store has no application to refresh", code="no_applyment")
    await query_applyment(session, account, pay)
    return account


async def query_applyment(
    session: AsyncSession, account: StorePaymentAccount, applyments: Applyments
) -> dict[str, Any]:
    """Ask where the account's application stands; once FINISH, record its sub_mchid.
    Returns WeChat Pay's answer (its state's description, signing link, audit detail)."""
    assert account.out_request_no is not None
    answer = await applyments.query(account.out_request_no)
    account.applyment_state = str(answer.get("applyment_state", ""))[:32]
    if account.applyment_state == FINISHED and answer.get("sub_mchid"):
        account.sub_mchid = str(answer["sub_mchid"])
    await session.flush()
    return answer
