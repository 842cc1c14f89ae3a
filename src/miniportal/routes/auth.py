"""Login, logout and invite redemption: the only pages a visitor without a session can use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from miniportal import accounts, audit, sessions
from miniportal.errors import PortalError
from miniportal.ratelimit import LoginThrottle
from miniportal.sessions import SESSION_COOKIE
from miniportal.web import Ctx, context, form, hash_gate, page, redirect, safe_next, text_field

router = APIRouter()

#: Where a new account lands after setting its password: an admin's first job is the Learners page (inviting
#: the class), a teacher's the cohort; a learner starts at their progress.
LANDING = {"admin": "/admin", "teacher": "/admin/cohort"}


@router.get("/login")
async def login_form(request: Request) -> Response:
    ctx = context(request)
    if ctx.user is not None:
        return redirect(ctx, safe_next(request.query_params.get("next")))
    return page(ctx, "login.html", next=safe_next(request.query_params.get("next")), failed=False)


def _rate_limited(ctx: Ctx, retry_after: int) -> Response:
    response = page(ctx, "error.html", status=429, message="too many failed logins; wait and retry")
    response.headers["retry-after"] = str(retry_after)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    """Reserve the attempt, take an Argon2 slot, check, settle: in that order, so that neither parallel guesses
    nor a flood of unknown usernames gets more password checks (or more memory) than the limits allow."""
    ctx = context(request)
    fields = await form(ctx)
    username = text_field(fields, "username", max_len=64).strip().lower()
    password = text_field(fields, "password", max_len=accounts.MAX_PASSWORD_LEN, secret=True)
    throttle: LoginThrottle = request.app.state.throttle
    portal = ctx.portal
    attempt = throttle.begin(username, ctx.ip)
    if isinstance(attempt, int):
        if throttle.should_audit(username, ctx.ip):
            with portal.engine.begin() as conn:
                audit.record(portal, conn, "login.rate_limited", ip=ctx.ip, username=username)
        request.app.state.metrics.login("rate_limited")
        return _rate_limited(ctx, attempt)

    def check() -> accounts.User | None:
        with portal.engine.begin() as conn:
            return accounts.check_password(portal, conn, username, password)

    try:
        async with hash_gate(request).slot():
            user = await run_in_threadpool(check)
    except BaseException:
        attempt.abandoned()  # busy, or the client went away: no verdict, nothing counted
        raise
    if user is None:
        request.app.state.metrics.login("failure")
        attempt.failed()
        with portal.engine.begin() as conn:
            audit.record(portal, conn, "login.failure", ip=ctx.ip, username=username)
        return page(ctx, "login.html", status=401, next="/", failed=True)
    attempt.succeeded()
    request.app.state.metrics.login("success")
    with portal.engine.begin() as conn:
        if ctx.session is not None:
            sessions.revoke(portal, conn, ctx.session.id)
        cookie = sessions.start(
            portal, conn, user.id, ip=ctx.ip, user_agent=request.headers.get("user-agent")
        )
        audit.record(portal, conn, "login.success", actor_id=user.id, ip=ctx.ip)
    ctx.set_cookies.append((SESSION_COOKIE, cookie, portal.settings.session_absolute_s))
    return redirect(ctx, safe_next(fields.get("next")))


@router.post("/logout")
async def logout(request: Request) -> Response:
    ctx = context(request)
    await form(ctx)
    if ctx.session is not None:
        with ctx.portal.engine.begin() as conn:
            sessions.revoke(ctx.portal, conn, ctx.session.id)
            audit.record(ctx.portal, conn, "logout", actor_id=ctx.session.user.id, ip=ctx.ip)
    ctx.set_cookies.append((SESSION_COOKIE, "", None))
    return redirect(ctx, "/login")


def _open(ctx: Ctx, token: str) -> accounts.Invite:
    """The invite, or an audited refusal (recorded in its own transaction so the record survives)."""
    try:
        with ctx.portal.engine.begin() as conn:
            return accounts.open_invite(ctx.portal, conn, token)
    except accounts.InviteRejectedError as exc:
        with ctx.portal.engine.begin() as conn:
            audit.record(ctx.portal, conn, "invite.rejected", ip=ctx.ip, reason=exc.reason)
        raise


@router.get("/invite/{token}")
async def invite_form(request: Request, token: str) -> Response:
    ctx = context(request)
    invite = _open(ctx, token)
    return page(ctx, "invite.html", invite=invite, token=token, error=None)


@router.post("/invite/{token}")
async def redeem(request: Request, token: str) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    invite = _open(ctx, token)
    portal = ctx.portal
    try:
        password = accounts.check_new_password(
            portal,
            text_field(fields, "password", max_len=accounts.MAX_PASSWORD_LEN, secret=True),
            text_field(fields, "password_confirm", max_len=accounts.MAX_PASSWORD_LEN, secret=True),
        )
    except PortalError as exc:
        return page(ctx, "invite.html", status=400, invite=invite, token=token, error=exc.message)
    async with hash_gate(request).slot():
        sealed = await run_in_threadpool(accounts.seal_password, portal, invite.user.id, password)
    try:
        with portal.engine.begin() as conn:
            user = accounts.redeem_invite(portal, conn, token, sealed, ip=ctx.ip)
            if ctx.session is not None:
                sessions.revoke(portal, conn, ctx.session.id)
            cookie = sessions.start(
                portal, conn, user.id, ip=ctx.ip, user_agent=request.headers.get("user-agent")
            )
            audit.record(portal, conn, "login.success", actor_id=user.id, ip=ctx.ip, via="invite")
    except accounts.InviteRejectedError as exc:
        with portal.engine.begin() as conn:
            audit.record(portal, conn, "invite.rejected", ip=ctx.ip, reason=exc.reason)
        raise
    ctx.set_cookies.append((SESSION_COOKIE, cookie, portal.settings.session_absolute_s))
    return redirect(ctx, LANDING.get(user.role, "/"))
