"""The API of store applications: the applicant's (``/api/v1/me/store-applications``) and the
platform's review (``/api/v1/platform/store-applications``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from weshop.accounts.auth import CurrentOperator, CurrentUser, CurrentUserId
from weshop.core.crypto import mask_name, mask_phone
from weshop.core.errors import Conflict, NotFound, RateLimited
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.core.openapi import raises
from weshop.stores import applications as service
from weshop.stores.models import ApplicationStatus, StoreApplication
from weshop.stores.schemas import (
    ApplicationIn,
    ApplicationOut,
    LicenceImageOut,
    Rejection,
)

me = APIRouter(prefix="/api/v1/me/store-applications", tags=["store opening"])
# Beside the applications, not under them: "/images" would also match "/{application_id}".
images = APIRouter(prefix="/api/v1/me/store-application-images", tags=["store opening"])
platform = APIRouter(prefix="/api/v1/platform/store-applications", tags=["platform"])


@raises(RateLimited)
async def count_application_write(user_id: CurrentUserId, runtime: RuntimeDep) -> None:
    await service.count_write(runtime.rate_limiter, user_id)


@raises(RateLimited)
async def count_image_upload(user_id: CurrentUserId, runtime: RuntimeDep) -> None:
    await service.count_write(runtime.rate_limiter, user_id, service.UPLOAD_LIMIT)


# Declared first among an endpoint's parameters, so they run before its transaction starts.
ApplicationWrite = Annotated[None, Depends(count_application_write)]
ImageUpload = Annotated[None, Depends(count_image_upload)]

IMAGE_RESPONSE = {
    200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image."}
}


async def application_out(
    session: DbSession, application: StoreApplication, *, reveal: bool
) -> ApplicationOut:
    """The application; its contact masked unless ``reveal`` (the applicant's own view)."""
    images = await service.images_of(session, application.id)
    return ApplicationOut(
        id=application.id,
        store_name=application.store_name,
        main_category=application.main_category,
        contact_name=application.contact_name if reveal else mask_name(application.contact_name),
        contact_phone=(
            application.contact_phone if reveal else mask_phone(application.contact_phone)
        ),
        description=application.description,
        status=application.status,
        reject_reason=application.reject_reason,
        submitted_at=application.submitted_at,
        reviewed_at=application.reviewed_at,
        store_id=application.store_id,
        licence_image_ids=[image.id for image in images],
    )


@images.post("", status_code=status.HTTP_201_CREATED, response_model=LicenceImageOut)
@raises(RateLimited)
async def upload_licence_image(
    _limit: ImageUpload,
    user: CurrentUser,
    session: DbSession,
    file: UploadFile = File(description="A PNG or JPEG image of at most 2 MB."),
):
    """Upload a business licence image; send its id in `licence_image_ids`. Only you and the
    platform's reviewers can see it."""
    data = await file.read(service.MAX_LICENCE_IMAGE_BYTES + 1)
    return await service.upload_licence_image(session, user, data)


@images.get("/{image_id}", response_class=Response, responses=IMAGE_RESPONSE)
async def licence_image(image_id: PathId, user: CurrentUser, session: DbSession):
    """One of your licence images."""
    image = await service.my_image(session, user, image_id)
    return Response(image.data, media_type=image.content_type)


@me.post("", status_code=status.HTTP_201_CREATED, response_model=ApplicationOut)
@raises(RateLimited, Conflict, NotFound)
async def apply(
    _limit: ApplicationWrite, body: ApplicationIn, user: CurrentUser, session: DbSession
):
    """Apply to open a store. The platform reviews it; on approval the store is open with you
    as its owner. One application may wait for review at a time (409 `application_open`)."""
    application = await service.submit_application(session, user, body)
    return await application_out(session, application, reveal=True)


@me.get("", response_model=list[ApplicationOut])
async def my_applications(user: CurrentUser, session: DbSession):
    """Your applications, newest first, with their status and any rejection's reason."""
    return [
        await application_out(session, application, reveal=True)
        for application in await service.my_applications(session, user)
    ]


@me.get("/{application_id}", response_model=ApplicationOut)
async def my_application(application_id: PathId, user: CurrentUser, session: DbSession):
    """One of your applications."""
    application = await service.my_application(session, user, application_id)
    return await application_out(session, application, reveal=True)


@me.put("/{application_id}", response_model=ApplicationOut)
@raises(RateLimited, Conflict, NotFound)
async def resubmit(
    _limit: ApplicationWrite,
    application_id: PathId,
    body: ApplicationIn,
    user: CurrentUser,
    session: DbSession,
):
    """Fix a rejected application and submit it again (409 `application_not_rejected`
    otherwise)."""
    application = await service.resubmit_application(session, user, application_id, body)
    return await application_out(session, application, reveal=True)


@platform.get("", response_model=list[ApplicationOut])
async def list_applications(
    operator: CurrentOperator,
    session: DbSession,
    status: Annotated[ApplicationStatus | None, Query()] = None,
):
    """Applications to open a store: those waiting for review first (oldest first), then
    the rest; filter by `status`. Contacts are masked."""
    return [
        await application_out(session, application, reveal=False)
        for application in await service.list_applications(session, status)
    ]


@platform.get("/{application_id}", response_model=ApplicationOut)
async def get_application(application_id: PathId, operator: CurrentOperator, session: DbSession):
    """One application; its licence images at `/{application_id}/images/{image_id}`."""
    application = await service.get_application(session, application_id)
    return await application_out(session, application, reveal=False)


@platform.get(
    "/{application_id}/images/{image_id}", response_class=Response, responses=IMAGE_RESPONSE
)
async def application_image(
    application_id: PathId, image_id: PathId, operator: CurrentOperator, session: DbSession
):
    """A licence image of the application."""
    image = await service.application_image(session, application_id, image_id)
    return Response(image.data, media_type=image.content_type)


@platform.post("/{application_id}/approve", response_model=ApplicationOut)
@raises(Conflict)
async def approve(
    application_id: PathId, operator: CurrentOperator, session: DbSession, runtime: RuntimeDep
):
    """Approve: the store opens with the applicant as its owner, in the same transaction.
    Approving (or rejecting) a reviewed application is 409 `application_reviewed`."""
    application, _store = await service.approve(
        session, application_id, operator=operator, settings=runtime.settings
    )
    return await application_out(session, application, reveal=False)


@platform.post("/{application_id}/reject", response_model=ApplicationOut)
@raises(Conflict)
async def reject(
    application_id: PathId, body: Rejection, operator: CurrentOperator, session: DbSession
):
    """Reject with a reason (required) the applicant reads; they may fix and resubmit."""
    application = await service.reject(session, application_id, body.reason, operator=operator)
    return await application_out(session, application, reveal=False)
