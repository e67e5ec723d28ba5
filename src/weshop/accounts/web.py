"""Storefront pages of accounts: sign-in by phone code, sign-out and the address book."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from weshop.accounts import page_signin as signin_steps
from weshop.accounts import service
from weshop.accounts.page_session import (
    OptionalPageUser,
    PageUser,
)
from weshop.accounts.schemas import AddressIn, AddressOut, AddressPatch
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession, RuntimeDep
from weshop.core.ids import PathId
from weshop.core.regions import PROVINCES
from weshop.web import pending_action
from weshop.web.csrf import verify_csrf
from weshop.web.errors import N_, error_message
from weshop.web.forms import FormResult, parse_form, posted_values, undo_on_error
from weshop.web.i18n import gettext
from weshop.web.pages import local_path
from weshop.web.templating import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

NextPath = Annotated[str | None, Query(max_length=500)]


# What to say next to a field that did not validate: the schema's own words are for APIs.
ADDRESS_FIELD_ERRORS = {
    "recipient": N_("Enter the recipient's name (up to 30 characters)."),
    "phone": N_("Enter a mainland China mobile number, e.g. 13800000000."),
    "province": N_("Choose a province."),
    "city": N_("Enter the city (up to 30 characters)."),
    "district": N_("The district is at most 30 characters."),
    "detail": N_("Enter the street address (up to 120 characters)."),
    "postal_code": N_("A postal code has 6 digits."),
    "__all__": N_("Some of what was entered is not valid. Check it and try again."),
}


def _field_errors(request: Request, errors: dict[str, str], messages: dict[str, str]) -> dict:
    return {name: gettext(request, messages.get(name, messages["__all__"])) for name in errors}


# Sign-in


def _signin_page(
    request: Request,
    *,
    phone: str = "",
    next_path: str = "/me",
    code_sent: bool = False,
    demo_code: str | None = None,
    resend_in: int = 0,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts/shop/signin.html",
        {
            "phone": phone,
            "next": next_path,
            "code_sent": code_sent,
            "demo_code": demo_code,
            "resend_in": resend_in,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/signin")
async def signin_form(request: Request, user: OptionalPageUser, next: NextPath = None) -> Response:
    """Phone number first; the code comes by SMS (shown on the page in demo mode)."""
    if user is not None:
        return RedirectResponse(local_path(next, "/me"), 303)
    return _signin_page(request, next_path=local_path(next, "/me"))


@router.post("/signin")
async def signin(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """``step=send`` asks for a code; otherwise the code is checked and a session starts.
    Asking again keeps the code box: a refused resend (too soon) leaves the code already
    received usable, and the page says how long to wait."""
    values = await posted_values(request)
    phone = str(values.get("phone", "")).strip()
    page = {"phone": phone, "next_path": local_path(str(values.get("next", "")), "/me")}
    had_code_box = values.get("sent") == "1"
    if had_code_box and values.get("step") != "send" and not values.get("code"):
        errors = {"code": gettext(request, signin_steps.CODE_ERROR)}
        return _signin_page(request, **page, code_sent=True, errors=errors, status_code=422)
    if values.get("step") == "send" or not values.get("code"):
        sent = await signin_steps.send_code(request, session, runtime, phone)
        return _signin_page(
            request,
            **page,
            code_sent=not sent.errors or (had_code_box and bool(sent.resend_in)),
            demo_code=sent.demo_code,
            resend_in=sent.resend_in,
            errors=sent.errors,
            status_code=sent.status_code,
        )
    checked = await signin_steps.check_code(
        request, session, runtime, phone, str(values.get("code", ""))
    )
    if checked.issued is None:
        return _signin_page(
            request, **page, code_sent=True, errors=checked.errors, status_code=checked.status_code
        )
    return signin_steps.signed_in(request, page["next_path"], checked.issued)


@router.get(pending_action.CONTINUE_PATH)
async def continue_after_sign_in(
    request: Request, user: PageUser, next: NextPath = None
) -> Response:
    """What the shopper was doing when sign-in stopped them, posted again from their
    browser with their new session's token (shop.js sends it at once; without scripts the
    shopper taps 继续). Used once; when it expired, the page says so."""
    pending = pending_action.kept_for_session(request)
    page = render(
        request,
        "accounts/shop/continue.html",
        {
            "next": local_path(next, "/me"),
            "pending": pending,
            "label": gettext(request, pending.label) if pending else "",
        },
    )
    pending_action.forget(page)
    return page


@router.post("/signout")
async def signout(request: Request, session: DbSession) -> Response:
    return await signin_steps.sign_out(request, session, "/")


# Address book


@router.get("/me/addresses")
async def address_book(
    request: Request, user: PageUser, session: DbSession, next: NextPath = None
) -> Response:
    """The addresses, default first, in full: they are the shopper's own."""
    addresses = [AddressOut.of_owner(a) for a in await service.list_addresses(session, user)]
    return render(
        request,
        "accounts/shop/addresses.html",
        {"addresses": addresses, "next": local_path(next, ""), "section": "addresses"},
    )


def _address_form(
    request: Request,
    values: dict[str, Any],
    *,
    address_id: int | None = None,
    next_path: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "accounts/shop/address_form.html",
        {
            "values": values,
            "address_id": address_id,
            "provinces": PROVINCES,
            "next": next_path,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _address_values(form: dict[str, Any]) -> dict[str, Any]:
    """The posted address with the checkbox read as a boolean."""
    values = {name: form.get(name, "") for name in AddressIn.model_fields if name != "is_default"}
    values["is_default"] = form.get("is_default") in ("on", "1", "true")
    return values


def _after_address(next_path: str) -> RedirectResponse:
    return RedirectResponse(next_path or "/me/addresses", 303)


@router.get("/me/addresses/new")
async def new_address(request: Request, user: PageUser, next: NextPath = None) -> Response:
    return _address_form(request, {}, next_path=local_path(next, ""))


@router.post("/me/addresses/new")
async def add_address(request: Request, user: PageUser, session: DbSession) -> Response:
    form = await posted_values(request)
    next_path = local_path(str(form.get("next", "")), "")
    result: FormResult[AddressIn] = parse_form(_address_values(form), AddressIn)
    if not result.ok or result.data is None:
        errors = _field_errors(request, result.errors, ADDRESS_FIELD_ERRORS)
        return _address_form(
            request, result.values, next_path=next_path, errors=errors, status_code=422
        )
    try:
        async with undo_on_error(session):
            await service.add_address(session, user, result.data)
    except WeShopError as exc:
        errors = {"__all__": error_message(request, exc.code, exc.message)}
        return _address_form(
            request, result.values, next_path=next_path, errors=errors, status_code=exc.status_code
        )
    return _after_address(next_path)


@router.get("/me/addresses/{address_id}/edit")
async def edit_address(
    request: Request, address_id: PathId, user: PageUser, session: DbSession, next: NextPath = None
) -> Response:
    """The owner edits their own address, in full."""
    address = await service.get_address(session, user, address_id)
    values = {name: getattr(address, name) for name in AddressIn.model_fields}
    return _address_form(request, values, address_id=address_id, next_path=local_path(next, ""))


@router.post("/me/addresses/{address_id}/edit")
async def update_address(
    request: Request, address_id: PathId, user: PageUser, session: DbSession
) -> Response:
    await service.get_address(session, user, address_id)
    form = await posted_values(request)
    next_path = local_path(str(form.get("next", "")), "")
    values = _address_values(form)
    # Every field is posted: a blank required field is an error here, not "leave as it was".
    result: FormResult[AddressIn] = parse_form(values, AddressIn)
    if not result.ok or result.data is None:
        errors = _field_errors(request, result.errors, ADDRESS_FIELD_ERRORS)
        return _address_form(
            request,
            values,
            address_id=address_id,
            next_path=next_path,
            errors=errors,
            status_code=422,
        )
    patch = AddressPatch(**result.data.model_dump(exclude={"is_default"}))
    if result.data.is_default:
        patch.is_default = True
    try:
        async with undo_on_error(session):
            await service.update_address(session, user, address_id, patch)
    except WeShopError as exc:
        errors = {"__all__": error_message(request, exc.code, exc.message)}
        return _address_form(
            request,
            values,
            address_id=address_id,
            next_path=next_path,
            errors=errors,
            status_code=exc.status_code,
        )
    return _after_address(next_path)


@router.post("/me/addresses/{address_id}/default")
async def make_default(address_id: PathId, user: PageUser, session: DbSession) -> Response:
    await service.update_address(session, user, address_id, AddressPatch(is_default=True))
    return RedirectResponse("/me/addresses", 303)


@router.post("/me/addresses/{address_id}/delete")
async def delete_address(address_id: PathId, user: PageUser, session: DbSession) -> Response:
    await service.delete_address(session, user, address_id)
    return RedirectResponse("/me/addresses", 303)
