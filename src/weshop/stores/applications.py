"""Self-service store opening: a signed-in person applies, the platform reviews, approval
opens the store with the applicant as its owner (the path the platform's "open a store"
takes), a rejection says why and the applicant may fix the application and submit it again.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.accounts.models import User
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.crypto import cipher
from weshop.core.db import lock_row
from weshop.core.errors import Conflict, InvalidInput, NotFound, WeShopError
from weshop.core.ratelimit import Limit, RateLimiter, enforce
from weshop.media.images import NotAnImage, sniff_image
from weshop.stores import service as stores
from weshop.stores.models import (
    ApplicationStatus,
    Store,
    StoreApplication,
    StoreApplicationImage,
)
from weshop.stores.schemas import ApplicationIn

# WeChat Pay takes JPG, BMP and PNG up to 2 MB for licence images; so does the application,
# so the same image can go on to the sub-merchant application.
LICENCE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
MAX_LICENCE_IMAGE_BYTES = 2 * 1024 * 1024


class LicenceImageTooLarge(WeShopError):
    status_code = 413
    code = "payload_too_large"


def phone_index(phone: str) -> str:
    return cipher().blind_index(phone, kind="phone")


async def upload_licence_image(
    session: AsyncSession, user: User, data: bytes
) -> StoreApplicationImage:
    """Keep a licence image for the user's application (PNG or JPEG, at most 2 MB)."""
    if len(data) > MAX_LICENCE_IMAGE_BYTES:
        raise LicenceImageTooLarge("a licence image may be at most 2 MB")
    try:
        info = sniff_image(data)
    except NotAnImage as exc:
        raise InvalidInput(f"upload a PNG or JPEG image ({exc})", code="unsupported_image") from exc
    if info.content_type not in LICENCE_IMAGE_TYPES:
        raise InvalidInput("upload a PNG or JPEG image", code="unsupported_image")
    image = StoreApplicationImage(
        uploaded_by=user.id,
        content_type=info.content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=utcnow(),
    )
    session.add(image)
    await session.flush()
    return image


async def _attach_images(
    session: AsyncSession, user: User, application: StoreApplication, image_ids: list[int]
) -> None:
    wanted = list(dict.fromkeys(image_ids))
    found = list(
        await session.scalars(
            select(StoreApplicationImage).where(
                StoreApplicationImage.id.in_(wanted),
                StoreApplicationImage.uploaded_by == user.id,
            )
        )
    )
    usable = [
        image
        for image in found
        if image.application_id is None or image.application_id == application.id
    ]
    if len(usable) != len(wanted):
        raise NotFound("no such licence image", code="no_such_image")
    for image in await images_of(session, application.id):
        if image.id not in wanted:
            image.application_id = None
    for image in usable:
        image.application_id = application.id


def _fill(application: StoreApplication, data: ApplicationIn) -> None:
    application.store_name = data.store_name
    application.main_category = data.main_category
    application.contact_name = data.contact_name
    application.contact_phone = data.contact_phone
    application.contact_phone_index = phone_index(data.contact_phone)
    application.description = data.description
    application.status = ApplicationStatus.SUBMITTED
    application.reject_reason = ""
    application.submitted_at = utcnow()


async def _flush_open(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another submission of the same person won the race for the one open application.
        raise Conflict(
            "you already have an application waiting for review", code="application_open"
        ) from exc


async def submit_application(
    session: AsyncSession, user: User, data: ApplicationIn
) -> StoreApplication:
    """Apply to open a store. One application waits for review per person (409
    ``application_open``)."""
    open_one = await session.scalar(
        select(StoreApplication.id).where(StoreApplication.open_for_user == user.id)
    )
    if open_one is not None:
        raise Conflict(
            "you already have an application waiting for review", code="application_open"
        )
    application = StoreApplication(user_id=user.id, open_for_user=user.id)
    _fill(application, data)
    session.add(application)
    await _flush_open(session)
    await _attach_images(session, user, application, data.licence_image_ids)
    await session.flush()
    return application


async def resubmit_application(
    session: AsyncSession, user: User, application_id: int, data: ApplicationIn
) -> StoreApplication:
    """Fix a rejected application and submit it again (409 unless it was rejected)."""
    application = await my_application(session, user, application_id)
    if application.status != ApplicationStatus.REJECTED:
        raise Conflict(
            "only a rejected application can be submitted again", code="application_not_rejected"
        )
    _fill(application, data)
    application.open_for_user = user.id
    application.reviewed_at = None
    application.reviewed_by = None
    await _flush_open(session)
    await _attach_images(session, user, application, data.licence_image_ids)
    await session.flush()
    return application


async def my_application(
    session: AsyncSession, user: User, application_id: int
) -> StoreApplication:
    application = await session.get(StoreApplication, application_id)
    if application is None or application.user_id != user.id:
        raise NotFound("no such application")
    return application


async def my_applications(session: AsyncSession, user: User) -> list[StoreApplication]:
    """The user's applications, newest first."""
    return list(
        await session.scalars(
            select(StoreApplication)
            .where(StoreApplication.user_id == user.id)
            .order_by(StoreApplication.id.desc())
        )
    )


async def images_of(session: AsyncSession, application_id: int) -> list[StoreApplicationImage]:
    return list(
        await session.scalars(
            select(StoreApplicationImage)
            .where(StoreApplicationImage.application_id == application_id)
            .order_by(StoreApplicationImage.id)
        )
    )


async def my_image(session: AsyncSession, user: User, image_id: int) -> StoreApplicationImage:
    image = await session.get(StoreApplicationImage, image_id)
    if image is None or image.uploaded_by != user.id:
        raise NotFound("no such licence image", code="no_such_image")
    return image


async def application_image(
    session: AsyncSession, application_id: int, image_id: int
) -> StoreApplicationImage:
    """For the platform's review: an image of one application."""
    image = await session.get(StoreApplicationImage, image_id)
    if image is None or image.application_id != application_id:
        raise NotFound("no such licence image", code="no_such_image")
    return image


async def list_applications(
    session: AsyncSession, status: ApplicationStatus | None = None
) -> list[StoreApplication]:
    """For the platform: applications, the oldest waiting first, then the rest newest first."""
    query = select(StoreApplication)
    if status is not None:
        query = query.where(StoreApplication.status == status)
    found = list(await session.scalars(query.order_by(StoreApplication.id.desc())))
    waiting = [row for row in found if row.status == ApplicationStatus.SUBMITTED]
    return list(reversed(waiting)) + [
        row for row in found if row.status != ApplicationStatus.SUBMITTED
    ]


async def get_application(session: AsyncSession, application_id: int) -> StoreApplication:
    application = await session.get(StoreApplication, application_id)
    if application is None:
        raise NotFound("no such application")
    return application


async def _waiting(session: AsyncSession, application_id: int) -> StoreApplication:
    await get_application(session, application_id)
    await lock_row(session, StoreApplication, application_id)
    application = await get_application(session, application_id)
    await session.refresh(application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(
            f"this application is already {application.status}", code="application_reviewed"
        )
    return application


async def approve(
    session: AsyncSession, application_id: int, *, operator: User, settings: Settings
) -> tuple[StoreApplication, Store]:
    """Open the store, with the applicant as its active owner, in the same transaction as the
    decision. Approving again is 409 ``application_reviewed``."""
    application = await _waiting(session, application_id)
    applicant = await session.get(User, application.user_id)
    assert applicant is not None
    store = await stores.open_store(
        session,
        name=application.store_name,
        description=application.description,
        owner=applicant,
        created_by=operator,
        settings=settings,
    )
    application.status = ApplicationStatus.APPROVED
    application.open_for_user = None
    application.reviewed_at = utcnow()
    application.reviewed_by = operator.id
    application.store_id = store.id
    await session.flush()
    return application, store


async def reject(
    session: AsyncSession, application_id: int, reason: str, *, operator: User
) -> StoreApplication:
    """Turn the application down with a reason the applicant reads; they may fix it and
    submit it again."""
    application = await _waiting(session, application_id)
    application.status = ApplicationStatus.REJECTED
    application.reject_reason = reason
    application.open_for_user = None
    application.reviewed_at = utcnow()
    application.reviewed_by = operator.id
    await session.flush()
    return application


async def application_of_store(session: AsyncSession, store_id: int) -> StoreApplication | None:
    """The application a store was opened from, if it was."""
    return await session.scalar(
        select(StoreApplication).where(StoreApplication.store_id == store_id)
    )


# Applying is rare: a person who writes more than this in an hour is a script.
APPLY_LIMIT = Limit("store_application.write", 30, 3600)
UPLOAD_LIMIT = Limit("store_application.image", 60, 3600)


async def count_write(limiter: RateLimiter, user_id: int, limit: Limit = APPLY_LIMIT) -> None:
    """429 past the hourly limit of application writes (or licence uploads) of one person.
    Counted before the request's own transaction starts (the limiter writes in its own)."""
    await enforce(limiter, limit, f"user:{user_id}")
