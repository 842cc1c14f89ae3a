"""Teachers and admins: the cohort's progress and the audit log; only admins create, invite and disable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lynx_cortex.phases import PHASES
from miniportal import accounts, audit, learning
from miniportal.db import ROLES
from miniportal.errors import NotFoundError, PortalError
from miniportal.web import Ctx, context, form, page, redirect, text_field

router = APIRouter()


def _user_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError("no such user")
    return int(raw)


@router.get("/admin")
async def admin(request: Request) -> Response:
    ctx = context(request)
    ctx.require_staff()
    with ctx.portal.engine.connect() as conn:
        people = accounts.list_users(conn)
        cohort = learning.cohort_statuses(conn)
        last_login = accounts.last_logins(conn)
    return page(
        ctx,
        "admin.html",
        people=people,
        cohort=cohort,
        last_login=last_login,
        phases=PHASES,
        roles=ROLES,
    )


def _invite_page(ctx: Ctx, username: str, url: str) -> Response:
    hours = ctx.portal.settings.invite_ttl_s // 3600
    return page(ctx, "admin_invite.html", status=201, username=username, url=url, hours=hours)


@router.post("/admin/users")
async def create_user(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    actor = ctx.require_admin()
    username = text_field(fields, "username", max_len=64).strip().lower()
    role = text_field(fields, "role", max_len=16)
    with ctx.portal.engine.begin() as conn:
        user = accounts.create_user(ctx.portal, conn, username, role=role, actor_id=actor.id)
        url = accounts.issue_invite(ctx.portal, conn, user.id, actor_id=actor.id)
    return _invite_page(ctx, user.username, url)


@router.post("/admin/users/{user_id}/invite")
async def reinvite(request: Request, user_id: str) -> Response:
    ctx = context(request)
    await form(ctx)
    actor = ctx.require_admin()
    with ctx.portal.engine.begin() as conn:
        user = accounts.get_user(conn, _user_id(user_id))
        if user is None:
            raise NotFoundError("no such user")
        url = accounts.issue_invite(ctx.portal, conn, user.id, actor_id=actor.id)
    return _invite_page(ctx, user.username, url)


@router.post("/admin/users/{user_id}/disable")
async def disable(request: Request, user_id: str) -> Response:
    ctx = context(request)
    await form(ctx)
    actor = ctx.require_admin()
    target = _user_id(user_id)
    if target == actor.id:
        raise PortalError("you cannot disable your own account", status=409)
    with ctx.portal.engine.begin() as conn:
        if accounts.get_user(conn, target) is None:
            raise NotFoundError("no such user")
        accounts.disable_user(ctx.portal, conn, target, actor_id=actor.id)
    return redirect(ctx, "/admin")


@router.get("/admin/audit")
async def audit_page(request: Request) -> Response:
    ctx = context(request)
    ctx.require_staff()
    with ctx.portal.engine.connect() as conn:
        rows = audit.recent(ctx.portal, conn, limit=200)
    return page(ctx, "audit.html", rows=rows)
