"""What every route shares: the request context (who, which language, which CSRF token), forms and pages.

Forms are parsed here rather than by FastAPI's `Form()` parameters so that a missing or oversized field answers
400 with the field's name, and the CSRF check runs before any handler sees the data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from miniportal import sessions
from miniportal.accounts import User
from miniportal.controls import CONTROL, NUL_OR_SURROGATE, find_control
from miniportal.errors import ForbiddenError, PortalError
from miniportal.hashgate import HashGate
from miniportal.i18n import LOCALE_COOKIE, LOCALES, translate
from miniportal.service import Portal
from miniportal.sessions import ANON_COOKIE, SESSION_COOKIE

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_FIELD_CHARS = 40 * 1024


class LoginRequiredError(PortalError):
    status = 401


@dataclass
class Ctx:
    """One request as the portal sees it."""

    request: Request
    portal: Portal
    session: sessions.Session | None
    anon: str
    new_anon: bool
    locale: str
    set_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def user(self) -> User | None:
        return self.session.user if self.session is not None else None

    @property
    def csrf(self) -> str:
        binding = self.session.id if self.session is not None else self.anon
        return sessions.csrf_token(self.portal, binding)

    @property
    def ip(self) -> str | None:
        return self.request.client.host if self.request.client is not None else None

    def t(self, key: str, **values: object) -> str:
        return translate(self.locale, key, **values)

    def require_user(self) -> User:
        if self.user is None:
            raise LoginRequiredError("please log in first")
        return self.user

    def require_staff(self) -> User:
        user = self.require_user()
        if not user.is_staff:
            raise ForbiddenError("this page is for teachers and admins")
        return user

    def require_admin(self) -> User:
        user = self.require_user()
        if user.role != "admin":
            raise ForbiddenError("only admins can do this")
        return user


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def hash_gate(request: Request) -> HashGate:
    """The app's cap on concurrent Argon2 work: every password hash or verify goes through it."""
    gate: HashGate = request.app.state.hash_gate
    return gate


def context(request: Request) -> Ctx:
    """Resolve the session (cached, else one indexed query) and the locale; make an anonymous id for CSRF
    if needed."""
    portal = portal_of(request)
    session = sessions.resolve(portal, request.cookies.get(SESSION_COOKIE))
    anon = request.cookies.get(ANON_COOKIE) or ""
    new_anon = len(anon) < 32 or len(anon) > 64
    if new_anon:
        anon = secrets.token_urlsafe(32)
    cookie_locale = request.cookies.get(LOCALE_COOKIE, "")
    if session is not None:
        locale = session.user.locale
    else:
        locale = cookie_locale if cookie_locale in LOCALES else "en"
    ctx = Ctx(request, portal, session, anon, new_anon, locale)
    request.state.ctx = ctx
    return ctx


def _cookie(ctx: Ctx, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=ctx.portal.settings.secure_cookies,
        path="/",
    )


def finish(ctx: Ctx, response: Response) -> Response:
    """Attach the cookies this request decided on; pages are never cached (they are personal)."""
    if ctx.new_anon:
        _cookie(ctx, response, ANON_COOKIE, ctx.anon, None)
    for name, value, max_age in ctx.set_cookies:
        if value:
            _cookie(ctx, response, name, value, max_age)
        else:
            response.delete_cookie(name, path="/")
    response.headers.setdefault("cache-control", "no-store")
    return response


def page(ctx: Ctx, template: str, *, status: int = 200, **values: Any) -> Response:
    response = TEMPLATES.TemplateResponse(
        ctx.request,
        template,
        {
            "ctx": ctx,
            "user": ctx.user,
            "t": ctx.t,
            "csrf": ctx.csrf,
            "locale": ctx.locale,
            **values,
        },
        status_code=status,
    )
    return finish(ctx, response)


def redirect(ctx: Ctx, url: str) -> Response:
    return finish(ctx, RedirectResponse(url, status_code=303))


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: '/phases/07' yes, '//evil.example', 'https://…' and anything with a control
    character (which would end up in a Location header) no."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or CONTROL.search(target)
    ):
        return default
    return target


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="/")


async def form(ctx: Ctx, *, max_fields: int = 50) -> dict[str, str]:
    """The request's form fields after the CSRF check (403 without a valid `csrf_token`)."""
    try:
        raw = await ctx.request.form(max_files=0, max_fields=max_fields)
    except Exception:  # noqa: BLE001  # any parser failure is the client's malformed body
        raise PortalError("the form data could not be read (malformed or not a form)") from None
    fields: dict[str, str] = {}
    for key, value in raw.multi_items():
        if isinstance(value, UploadFile):
            raise PortalError(f"field {key!r}: file uploads are not accepted here")
        if len(value) > MAX_FIELD_CHARS:
            raise PortalError(f"field {key!r} is too long")
        for text in (key, value):
            if found := NUL_OR_SURROGATE.search(text):
                raise PortalError(
                    f"field {key!r} must not contain U+{ord(found.group()):04X} "
                    f"(NUL or an unpaired surrogate, at character {found.start() + 1})"
                )
        fields[key] = value
    submitted = fields.get("csrf_token") or ctx.request.headers.get("x-csrf-token")
    binding = ctx.session.id if ctx.session is not None else ctx.anon
    if ctx.new_anon and ctx.session is None:
        binding = ""
    if not sessions.csrf_ok(ctx.portal, binding, submitted):
        raise ForbiddenError(
            "the form's security token is missing or expired; reload the page and submit it again"
        )
    return fields


def text_field(
    fields: dict[str, str],
    name: str,
    *,
    max_len: int = 200,
    required: bool = True,
    multiline: bool = False,
    secret: bool = False,
) -> str:
    """A field's text, or a 400 naming it: missing, too long, or holding control characters (tab and line
    breaks pass in `multiline` fields; a `secret` is never inspected beyond the form-wide NUL check, so a
    password is whatever its owner typed)."""
    value = fields.get(name)
    if value is None or (required and not value.strip()):
        raise PortalError(f"field {name!r} is required")
    if len(value) > max_len:
        raise PortalError(f"field {name!r} is too long (at most {max_len} characters)")
    if not secret and (where := find_control(value, multiline=multiline)) is not None:
        allowed = " (only tab and line breaks are allowed)" if multiline else ""
        raise PortalError(f"field {name!r} must not contain control characters: {where}{allowed}")
    return value
