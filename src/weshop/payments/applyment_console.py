"""The merchant console's WeChat Pay account page: the sub-merchant application (进件) form
for the owner, with its images, and where the application stands as the worker last heard
(the signing link, the rejection's reason, the sub-merchant number once finished)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.payments import applyment_form as service
from weshop.payments import sub_merchants
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_
from weshop.web.csrf import verify_csrf
from weshop.web.forms import parse_form, undo_on_error
from weshop.web.i18n import gettext

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

CHECK_FIELD = N_("Please check this field.")
IMAGE_NEEDED = N_("Choose a PNG or JPEG image of at most 2 MB.")
REFUSED = N_("WeChat Pay did not take the application. Please check and try again.")
# Clear-text personal fields are never sent back into the page after a refusal.
KEPT_FIELDS = (
    "organization_type",
    "merchant_shortname",
    "licence_number",
    "merchant_name",
    "id_card_valid_until",
    "bank_account_type",
    "account_bank",
    "bank_address_code",
)
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _applyments(runtime: Any) -> Any:
    provider = runtime.components["payment_providers"].get(sub_merchants.WECHATPAY)
    return None if provider is None else provider.pay.applyments


async def _page(
    request: Request,
    session: DbSession,
    runtime: Any,
    access: ConsoleAccess,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    store_id = access.store.id
    account = await sub_merchants.store_account(session, store_id, sub_merchants.WECHATPAY)
    return console_page(
        request,
        "payments/console/applyment.html",
        access,
        "wechatpay_applyment",
        {
            "account": account,
            "progress": await service.progress_of(session, store_id),
            "configured": _applyments(runtime) is not None,
            "may_submit": not account.sub_mchid
            and account.applyment_state in ("", *sub_merchants.CLOSED_APPLYMENT_STATES),
            "subject_types": {k: gettext(request, v) for k, v in service.SUBJECT_TYPES.items()},
            "account_types": {k: gettext(request, v) for k, v in service.ACCOUNT_TYPES.items()},
            "values": values or {"organization_type": "2401", "bank_account_type": "75"},
            "errors": errors or {},
            "notice": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/payments/applyment")
async def applyment_page(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    access: ConsoleAccess = console_staff(Permission.STORE_SETTINGS),
) -> Response:
    return await _page(request, session, runtime, access)


@router.post("/payments/applyment")
async def submit_applyment(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    access: ConsoleAccess = console_staff(Permission.STORE_SETTINGS),
) -> Response:
    """Upload the images to WeChat Pay and send the application; the worker follows it."""
    form = await request.form()
    values = {
        name: str(value).strip()
        for name, value in form.items()
        if not isinstance(value, UploadFile)
    }
    values.pop("csrf_token", None)
    kept = {name: values.get(name, "") for name in KEPT_FIELDS}
    images: dict[str, tuple[str, bytes]] = {}
    errors: dict[str, str] = {}
    for name in service.IMAGE_FIELDS:
        upload = form.get(name)
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_IMAGE_BYTES + 1)
            kind = "png" if data.startswith(b"\x89PNG") else "jpg"
            if len(data) > MAX_IMAGE_BYTES or not data.startswith((b"\x89PNG", b"\xff\xd8\xff")):
                errors[name] = gettext(request, IMAGE_NEEDED)
            images[name] = (f"{name}.{kind}", data)
    result = parse_form(values, service.ApplymentIn)
    if result.data is None or errors:
        errors |= {
            ("__all__" if name == "" else name): gettext(request, CHECK_FIELD)
            for name in result.errors
        }
        return await _page(
            request, session, runtime, access, values=kept, errors=errors, status_code=422
        )
    store_url = f"{runtime.settings.public_base_url.rstrip('/')}/s/{access.store.id}"
    try:
        async with undo_on_error(session):
            await service.submit(
                session,
                access.store.id,
                _applyments(runtime),
                result.data,
                images,
                store_url=store_url,
            )
    except WeShopError as exc:
        if exc.code == "images_missing":
            missing = exc.details if isinstance(exc.details, list) else []
            errors = {name: gettext(request, IMAGE_NEEDED) for name in missing}
        else:
            errors = {"__all__": gettext(request, REFUSED)}
        return await _page(
            request,
            session,
            runtime,
            access,
            values=kept,
            errors=errors,
            status_code=exc.status_code,
        )
    return done_redirect(access, "/payments/applyment", "submitted")
