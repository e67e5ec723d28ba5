"""The merchant console's members: the level ladder (add, change, delete), the points and
growth rules, and the list of members with their level, growth and points."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from weshop.accounts.repository import phone_index
from weshop.core.crypto import normalize_phone
from weshop.core.errors import WeShopError
from weshop.core.http import DbSession
from weshop.core.ids import MAX_ID, PathId
from weshop.core.pagination import page_of
from weshop.members import levels, service
from weshop.members.schemas import LevelIn, LevelPatch, RulesIn
from weshop.members.views import member_out
from weshop.stores.console_access import ConsoleAccess, console_page, console_staff, done_redirect
from weshop.stores.permissions import Permission
from weshop.web.console_forms import N_, NestedForm, add_refusal, parse_nested
from weshop.web.csrf import verify_csrf
from weshop.web.forms import FormResult, posted_values, undo_on_error

router = APIRouter(prefix="/console/stores/{store_id}", dependencies=[Depends(verify_csrf)])

Reader = console_staff(Permission.MEMBERS_READ)
Writer = console_staff(Permission.MEMBERS_WRITE)
PAGE_SIZE = 20

DONE_NOTICES = {
    "level": N_("The levels are saved; members moved to the level their growth reaches."),
    "rules": N_("The rules are saved; they apply to orders completed from now on."),
}
LEVEL_REFUSALS = {
    "base_level_required": (
        "growth_threshold",
        N_("The lowest level must start at growth 0, and it goes last."),
    ),
    "duplicate_threshold": ("growth_threshold", N_("Another level starts at this growth value.")),
    "pay_percent_increases": ("pay_percent", N_("A higher level cannot pay a larger share.")),
    "duplicate_level_name": ("name", N_("Another level has this name.")),
    "too_many": ("__all__", N_("A store has at most 20 member levels.")),
}


async def _members_page(
    request: Request,
    session: AsyncSession,
    access: ConsoleAccess,
    *,
    level_form: FormResult[Any] | None = None,
    editing: int | None = None,
    rules_form: FormResult[Any] | None = None,
    status_code: int = 200,
) -> Response:
    query = request.query_params
    level_id = query.get("level_id", "")
    phone = query.get("phone", "").strip()
    try:
        index = phone_index(normalize_phone(phone)) if phone else None
    except ValueError:
        index = "no-such-phone"
    chosen_level = int(level_id) if level_id.isdigit() and 0 < int(level_id) <= MAX_ID else None
    rows = await service.list_members(
        session,
        access.scope,
        level_id=chosen_level,
        phone_index=index,
        cursor=query.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    users, ladder, lapsed = await service.member_people(session, rows)
    page = page_of(rows, PAGE_SIZE, lambda m: member_out(m, users, ladder, lapsed))
    rules = await service.rules_for(session, access.store.id)
    return console_page(
        request,
        "members/console/index.html",
        access,
        "members",
        {
            "levels": await levels.list_levels(session, access.scope),
            "rules": RulesIn.model_validate(rules, from_attributes=True),
            "members": page.items,
            "next_cursor": page.next_cursor,
            "level_id": chosen_level,
            "phone": phone,
            "level_form": level_form,
            "editing": editing,
            "rules_form": rules_form,
            "notice": DONE_NOTICES.get(query.get("done", "")),
        },
        status_code=status_code,
    )


@router.get("/members")
async def members_page(
    request: Request, session: DbSession, access: ConsoleAccess = Reader
) -> Response:
    return await _members_page(request, session, access)


async def _save_level(
    request: Request, session: AsyncSession, access: ConsoleAccess, level_id: int | None
) -> Response:
    form = NestedForm(await posted_values(request))
    result = parse_nested(request, form, LevelIn if level_id is None else LevelPatch)
    status = 422
    if result.data is not None:
        try:
            async with undo_on_error(session):
                if level_id is None:
                    await levels.create_level(session, access.scope, result.data)
                else:
                    await levels.update_level(session, access.scope, level_id, result.data)
            return done_redirect(access, "/members", "level")
        except WeShopError as exc:
            add_refusal(request, result, exc, LEVEL_REFUSALS)
            status = exc.status_code
    return await _members_page(
        request, session, access, level_form=result, editing=level_id or 0, status_code=status
    )


@router.post("/members/levels")
async def create_level(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _save_level(request, session, access, None)


@router.post("/members/levels/{member_level_id}")
async def update_level(
    request: Request, member_level_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    return await _save_level(request, session, access, member_level_id)


@router.post("/members/levels/{member_level_id}/delete")
async def delete_level(
    request: Request, member_level_id: PathId, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    try:
        async with undo_on_error(session):
            await levels.delete_level(session, access.scope, member_level_id)
    except WeShopError as exc:
        result: FormResult[Any] = FormResult(values={})
        add_refusal(request, result, exc, LEVEL_REFUSALS)
        result.errors = {"__all__": next(iter(result.errors.values()))}
        return await _members_page(
            request,
            session,
            access,
            level_form=result,
            editing=member_level_id,
            status_code=exc.status_code,
        )
    return done_redirect(access, "/members", "level")


@router.post("/members/rules")
async def save_rules(
    request: Request, session: DbSession, access: ConsoleAccess = Writer
) -> Response:
    values = await posted_values(request)
    body = {name: value for name, value in values.items() if name != "points_never_expire"}
    form = NestedForm(body)
    if values.get("points_never_expire"):
        form.data["points_expire_days"] = None
    result = parse_nested(request, form, RulesIn)
    result.values = values
    if result.data is None:
        return await _members_page(request, session, access, rules_form=result, status_code=422)
    await service.put_rules(session, access.scope, result.data)
    return done_redirect(access, "/members", "rules")
