"""My profile: display name, language, time zone, and a password change that logs out other devices."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from miniportal import accounts, audit, sessions
from miniportal.errors import PortalError
from miniportal.web import Ctx, context, form, hash_gate, page, text_field

router = APIRouter()


def _me(ctx: Ctx, *, status: int = 200, message: str | None, error: str | None) -> Response:
    """The profile, with who on the staff read this learner's notes or journal, and when (the transparency rule:
    teachers may read, and the learner always sees that they did)."""
    user = ctx.require_user()
    with ctx.portal.reader() as conn:
        reads = audit.reads_of(conn, user.id)
    return page(ctx, "me.html", status=status, message=message, error=error, reads=reads)


@router.get("/me")
async def me(request: Request) -> Response:
    ctx = context(request)
    return _me(ctx, message=None, error=None)


@router.post("/me")
async def update_me(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    portal = ctx.portal
    action = fields.get("action", "profile")
    if action == "profile":
        with portal.engine.begin() as conn:
            accounts.update_profile(
                portal,
                conn,
                user.id,
                display_name=text_field(fields, "display_name", max_len=200),
                locale=text_field(fields, "locale", max_len=8),
                timezone=text_field(fields, "timezone", max_len=64),
            )
        fresh = context(request)
        return _me(fresh, message=fresh.t("me.saved"), error=None)
    if action != "password":
        raise PortalError("field 'action' must be 'profile' or 'password'")
    current = text_field(fields, "current_password", max_len=accounts.MAX_PASSWORD_LEN, secret=True)
    try:
        new = accounts.check_new_password(
            portal,
            text_field(fields, "new_password", max_len=accounts.MAX_PASSWORD_LEN, secret=True),
            text_field(
                fields, "new_password_confirm", max_len=accounts.MAX_PASSWORD_LEN, secret=True
            ),
        )
    except PortalError as exc:
        return _me(ctx, status=400, message=None, error=exc.message)

    def verify() -> accounts.User | None:
        with portal.engine.begin() as conn:
            return accounts.check_password(portal, conn, user.username, current)

    async with hash_gate(request).slot():
        if await run_in_threadpool(verify) is None:
            return _me(ctx, status=400, message=None, error=ctx.t("me.wrong_password"))
        sealed = await run_in_threadpool(accounts.seal_password, portal, user.id, new)
    assert ctx.session is not None  # noqa: S101  # require_user above
    with portal.engine.begin() as conn:
        accounts.store_password(portal, conn, user.id, sealed)
        revoked = sessions.revoke_all(portal, conn, user.id, keep=ctx.session.id)
        audit.record(portal, conn, "password.changed", actor_id=user.id, ip=ctx.ip, revoked=revoked)
    return _me(ctx, message=ctx.t("me.saved"), error=None)
