"""The store owner's sub-merchant application (二级商户进件) as a form: subject type, licence,
the legal person's ID card (both sides), settlement bank account and contact. Images go to
WeChat Pay's media upload and the application names them by ``media_id``; sensitive fields
are encrypted with the platform key by the adapter. Nothing personal is kept here.

The worker then asks WeChat Pay where the application stands (:data:`POLL_APPLYMENT`), with
back-off, until it is over: FINISH records the ``sub_mchid``; NEED_SIGN shows the signing
link; REJECTED shows the reason, and the owner may submit again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.schemas import PhoneNumber
from weshop.core.clock import utcnow
from weshop.core.errors import InvalidInput
from weshop.core.outbox import emit
from weshop.payments import sub_merchants
from weshop.payments.applyment_models import ApplymentProgress
from weshop.payments.models import StorePaymentAccount
from weshop.payments.wechatpay.applyments import FINISHED, Applyments
from weshop.stores import service as stores

POLL_APPLYMENT = "payments.poll_applyment"
# How long to wait before each next question: WeChat Pay reviews in minutes to days.
POLL_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
    *(timedelta(hours=6),) * 40,
)
OVER_STATES = frozenset({FINISHED, *sub_merchants.CLOSED_APPLYMENT_STATES})
SUBJECT_TYPES = {
    "2401": "Small and micro merchant (no business licence)",
    "4": "Individual business",
    "2": "Company",
}
ACCOUNT_TYPES = {"75": "Personal account", "74": "Corporate account"}
IMAGE_FIELDS = ("licence", "id_card_front", "id_card_back")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Digits = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6,32}$")]


class ApplymentIn(BaseModel):
    """What the owner types; the images come as files beside it."""

    model_config = ConfigDict(extra="forbid")
    organization_type: Literal["2401", "4", "2"]
    merchant_shortname: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
    ]
    licence_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Z]{15,18}$")]
        | None
    ) = None
    merchant_name: Text | None = None
    id_card_name: Text
    id_card_number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{17}[0-9Xx]$")
    ]
    id_card_valid_until: Annotated[
        str, StringConstraints(pattern=r"^(长期|[0-9]{4}-[0-9]{2}-[0-9]{2})$")
    ]
    bank_account_type: Literal["75", "74"]
    account_bank: Text
    bank_address_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    account_name: Text
    account_number: Digits
    contact_name: Text
    contact_phone: PhoneNumber

    @model_validator(mode="after")
    def _licensed_subjects_give_their_licence(self) -> ApplymentIn:
        if self.organization_type != "2401" and not (self.licence_number and self.merchant_name):
            raise ValueError("a business needs its licence number and registered name")
        return self


def wechat_form(
    data: ApplymentIn, media: dict[str, str], *, store_name: str, store_url: str
) -> dict[str, Any]:
    """The body of ``POST /v3/ecommerce/applyments/`` (personal fields in clear text: the
    adapter encrypts them)."""
    form: dict[str, Any] = {
        "organization_type": data.organization_type,
        "id_card_info": {
            "id_card_copy": media["id_card_front"],
            "id_card_national": media["id_card_back"],
            "id_card_name": data.id_card_name,
            "id_card_number": data.id_card_number.upper(),
            "id_card_valid_time": data.id_card_valid_until,
        },
        "need_account_info": True,
        "account_info": {
            "bank_account_type": data.bank_account_type,
            "account_bank": data.account_bank,
            "account_name": data.account_name,
            "bank_address_code": data.bank_address_code,
            "account_number": data.account_number,
        },
        "contact_info": {
            "contact_type": "65",
            "contact_name": data.contact_name,
            "mobile_phone": data.contact_phone,
        },
        "sales_scene_info": {"store_name": store_name, "store_url": store_url},
        "merchant_shortname": data.merchant_shortname,
    }
    if data.organization_type != "2401":
        form["business_license_info"] = {
            "business_license_copy": media["licence"],
            "business_license_number": data.licence_number,
            "merchant_name": data.merchant_name,
            "legal_person": data.id_card_name,
        }
    return form


async def progress_of(session: AsyncSession, store_id: int) -> ApplymentProgress | None:
    return await session.scalar(
        select(ApplymentProgress).where(ApplymentProgress.store_id == store_id)
    )


async def submit(
    session: AsyncSession,
    store_id: int,
    applyments: Applyments | None,
    data: ApplymentIn,
    images: dict[str, tuple[str, bytes]],
    *,
    store_url: str,
) -> StorePaymentAccount:
    """Upload the images, send the application and have the worker follow it."""
    pay = sub_merchants.require_applyments(applyments)
    wanted = [
        name for name in IMAGE_FIELDS if name != "licence" or data.organization_type != "2401"
    ]
    missing = [name for name in wanted if name not in images]
    if missing:
        raise InvalidInput(
            "the application needs these images", code="images_missing", details=missing
        )
    store = await stores.get_store(session, store_id)
    media = {name: await pay.upload_image(*images[name]) for name in wanted}
    form = wechat_form(data, media, store_name=store.name, store_url=store_url)
    account = await sub_merchants.submit_applyment(session, store_id, pay, form)
    progress = await progress_of(session, store_id)
    if progress is None:
        progress = ApplymentProgress(store_id=store_id, submitted_at=utcnow())
        session.add(progress)
    progress.submitted_at = utcnow()
    progress.finished_at = None
    progress.reject_reason = progress.sign_url = progress.state_desc = ""
    progress.polls = 0
    await session.flush()
    _schedule(session, store_id, account.out_request_no or "", 0)
    return account


def _schedule(session: AsyncSession, store_id: int, out_request_no: str, polls: int) -> None:
    emit(
        session,
        POLL_APPLYMENT,
        {"store_id": store_id, "out_request_no": out_request_no, "polls": polls},
        due_at=utcnow() + POLL_DELAYS[polls],
        store_id=store_id,
        dedupe_key=f"{POLL_APPLYMENT}:{out_request_no}:{polls}",
    )


async def poll(
    session: AsyncSession,
    store_id: int,
    out_request_no: str,
    polls: int,
    applyments: Applyments | None,
) -> None:
    """The worker's question: record the answer; ask again later unless it is over."""
    account = await sub_merchants.account_of(session, store_id, sub_merchants.WECHATPAY)
    if applyments is None or account is None or account.out_request_no != out_request_no:
        return  # WeChat Pay is gone, or a newer application is followed by its own polls
    answer = await sub_merchants.query_applyment(session, account, applyments)
    progress = await progress_of(session, store_id)
    if progress is not None:
        progress.polls = polls + 1
        progress.state_desc = str(answer.get("applyment_state_desc", ""))[:64]
        progress.sign_url = str(answer.get("sign_url", ""))[:500]
        reasons = [
            str(item.get("reject_reason", ""))
            for item in answer.get("audit_detail") or []
            if isinstance(item, dict)
        ]
        progress.reject_reason = "；".join(reason for reason in reasons if reason)[:500]
        if account.applyment_state == FINISHED and progress.finished_at is None:
            progress.finished_at = utcnow()
    await session.flush()
    if account.applyment_state not in OVER_STATES and polls + 1 < len(POLL_DELAYS):
        _schedule(session, store_id, out_request_no, polls + 1)
