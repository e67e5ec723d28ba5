"""The merchant console's store chooser (with the invitations waiting for the visitor), a store's
settings (name, logo, payment and after-sales windows) and staff (invite by phone with a role,
change a role, remove)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from weshop.accounts.page_session import PageUser
from weshop.core.crypto import mask_phone
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.media import service as media
from weshop.stores import service
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.models import Role
from weshop.stores.permissions import Permission
from weshop.stores.schemas import StaffInvite, StaffRoleChange, StoreSettings
from weshop.web.console_forms import add_refusal
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.templating import render

# ``home`` is the console's start page, where a signed-in visitor chooses a store.
home = APIRouter(prefix="/console", dependencies=[Depends(verify_csrf)])
router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

SETTINGS_FIELDS = (
    "name",
    "description",
    "payment_window_minutes",
    "auto_confirm_days",
    "auto_confirm_after_delivery_days",
    "aftersales_days",
)
SETTINGS_ERRORS = {
    "name": N_("Enter the store's name (40 characters at most)."),
    "description": N_("The description is 500 characters at most."),
    "payment_window_minutes": N_("Enter a number of minutes from 5 to 1440."),
    "auto_confirm_days": N_("Enter a number of days from 1 to 60."),
    "auto_confirm_after_delivery_days": N_("Enter a number of days from 1 to 30."),
    "aftersales_days": N_("Enter a number of days from 0 to 90."),
    "__all__": N_("Some of what was entered is not valid. Check it and try again."),
}
LOGO_REFUSALS = {
    "unsupported_image": ("logo", N_("Upload a PNG, JPEG, WebP or GIF image.")),
    "payload_too_large": ("logo", N_("This image is too large (5 MB at most).")),
}
STAFF_ERRORS = {
    "phone": N_("Enter a mainland China mobile number, e.g. 13800000000."),
    "role": N_("Choose a role."),
    "__all__": N_("Some of what was entered is not valid. Check it and try again."),
}
STAFF_REFUSALS = {
    "already_staff": ("phone", N_("This person is already on the staff or invited.")),
    "one_owner": ("__all__", N_("A store has one owner; that role cannot be given or taken.")),
}
ROLE_CHOICES = [Role.OPERATOR, Role.FINANCE, Role.CUSTOMER_SERVICE]
DONE = {
    "saved": N_("The settings are saved."),
    "invited": N_("The invitation is sent. They join once they accept it in the console."),
    "role": N_("The role is changed."),
    "removed": N_("The staff member is removed; their access ended at once."),
}


@home.get("")
async def choose_store(request: Request, user: PageUser, session: DbSession) -> Response:
    """The stores where the visitor is active staff, and invitations waiting for them; with
    exactly one store and nothing to accept, straight to that store."""
    memberships = await service.my_stores(session, user)
    invitations = await service.pending_invitations(session, user)
    if len(memberships) == 1 and not invitations:
        return RedirectResponse(f"/console/stores/{memberships[0][1].id}", 303)
    return render(
        request,
        "stores/console/home.html",
        {"memberships": memberships, "invitations": invitations},
    )


@home.post("/invitations/{invitation_id}/accept")
async def accept_invitation(invitation_id: PathId, user: PageUser, session: DbSession) -> Response:
    _member, store = await service.accept_invitation(session, user, invitation_id)
    return RedirectResponse(f"/console/stores/{store.id}", 303)


def _notice(request: Request, done: str | None) -> str:
    return gettext(request, DONE[done]) if done in DONE else ""


def _errors(request: Request, errors: dict[str, str], messages: dict[str, str]) -> dict[str, str]:
    return {name: gettext(request, messages.get(name, messages["__all__"])) for name in errors}


# Settings


def _settings_page(
    request: Request,
    access: ConsoleAccess,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    store = access.store
    shown = values or {name: getattr(store, name) for name in SETTINGS_FIELDS}
    return console_page(
        request,
        "stores/console/settings.html",
        access,
        "settings",
        {"values": shown, "errors": errors or {}, "notice": notice},
        status_code=status_code,
    )


@router.get("/settings")
async def settings_page(
    request: Request,
    access: ConsoleAccess = console_staff(Permission.STORE_SETTINGS),
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _settings_page(request, access, notice=_notice(request, done))


@router.post("/settings")
async def save_settings(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    access: ConsoleAccess = console_staff(Permission.STORE_SETTINGS),
) -> Response:
    """The settings and, when a file is chosen, a new logo (kept by the media service)."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in SETTINGS_FIELDS}
    result: FormResult[StoreSettings] = parse_form(values, StoreSettings)
    # Every field is on the form: a blank one is refused rather than left as it was, except
    # the description, which may be cleared.
    for name in SETTINGS_FIELDS:
        if name != "description" and not values[name]:
            result.add_error(name, "missing")
    if not result.ok or result.data is None:
        errors = _errors(request, result.errors, SETTINGS_ERRORS)
        return _settings_page(request, access, values, errors, status_code=422)
    settings = result.data.model_copy(update={"description": values["description"]})
    logo = form.get("logo")
    limit = runtime.settings.max_upload_bytes
    try:
        async with undo_on_error(session):
            if isinstance(logo, UploadFile) and logo.filename:
                asset = await media.upload_image(
                    session,
                    access.scope,
                    await logo.read(limit + 1),
                    media_dir=runtime.settings.media_dir,
                    max_bytes=limit,
                )
                settings.logo_url = asset.url
            await service.update_settings(session, access.scope, settings)
    except WeShopError as exc:
        add_refusal(request, result, exc, LOGO_REFUSALS)
        return _settings_page(request, access, values, result.errors, status_code=exc.status_code)
    return done_redirect(access, "/settings", "saved")


# Staff


async def _staff_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    staff = [
        {
            "id": member.id,
            "name": user.display_name,
            "phone": mask_phone(user.phone),
            "role": member.role,
            "status": member.status,
            "is_me": user.id == access.scope.actor_id,
        }
        for member, user in await service.list_staff(session, access.scope)
    ]
    return console_page(
        request,
        "stores/console/staff.html",
        access,
        "staff",
        {
            "staff": staff,
            "roles": ROLE_CHOICES,
            "values": values or {"role": Role.OPERATOR},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/staff")
async def staff_page(
    request: Request,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.STAFF_READ),
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return await _staff_page(request, session, access, notice=_notice(request, done))


@router.post("/staff")
async def invite(
    request: Request,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.STAFF_MANAGE),
) -> Response:
    values = await posted_values(request)
    result: FormResult[StaffInvite] = parse_form(values, StaffInvite)
    if not result.ok or result.data is None:
        errors = _errors(request, result.errors, STAFF_ERRORS)
        return await _staff_page(request, session, access, values, errors, status_code=422)
    try:
        async with undo_on_error(session):
            await service.invite_staff(session, access.scope, result.data.phone, result.data.role)
    except WeShopError as exc:
        add_refusal(request, result, exc, STAFF_REFUSALS)
        return await _staff_page(
            request, session, access, values, result.errors, status_code=exc.status_code
        )
    return done_redirect(access, "/staff", "invited")


@router.post("/staff/{member_id}/role")
async def change_role(
    request: Request,
    member_id: PathId,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.STAFF_MANAGE),
) -> Response:
    result: FormResult[StaffRoleChange] = parse_form(await posted_values(request), StaffRoleChange)
    if not result.ok or result.data is None:
        errors = {"__all__": gettext(request, STAFF_ERRORS["role"])}
        return await _staff_page(request, session, access, None, errors, status_code=422)
    try:
        async with undo_on_error(session):
            await service.change_role(session, access.scope, member_id, result.data.role)
    except WeShopError as exc:
        add_refusal(request, result, exc, STAFF_REFUSALS)
        return await _staff_page(
            request, session, access, None, result.errors, status_code=exc.status_code
        )
    return done_redirect(access, "/staff", "role")


@router.post("/staff/{member_id}/remove")
async def remove(
    request: Request,
    member_id: PathId,
    session: DbSession,
    access: ConsoleAccess = console_staff(Permission.STAFF_MANAGE),
) -> Response:
    result: FormResult[Any] = FormResult(values={})
    try:
        async with undo_on_error(session):
            await service.remove_staff(session, access.scope, member_id)
    except WeShopError as exc:
        add_refusal(request, result, exc, STAFF_REFUSALS)
        return await _staff_page(
            request, session, access, None, result.errors, status_code=exc.status_code
        )
    return done_redirect(access, "/staff", "removed")
