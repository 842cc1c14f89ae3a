"""The learner's pages: progress overview, the curriculum list, one phase with notes at its paragraphs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from lynx_cortex.phases import PHASES, Phase
from miniportal import learning, today
from miniportal.accounts import update_profile
from miniportal.content import Slot
from miniportal.db import STATUSES
from miniportal.errors import NotFoundError, PortalError
from miniportal.i18n import LOCALE_COOKIE, LOCALES
from miniportal.notes_html import NoteSlots
from miniportal.web import Ctx, context, form, page, redirect, safe_next, text_field

router = APIRouter()
_NN = re.compile(r"^\d{1,2}$")


def _version() -> str:
    try:
        return version("lynx-cortex")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse(
        {"status": "ok", "version": _version(), "ts": datetime.now(UTC).isoformat()},
        headers={"cache-control": "no-store"},
    )


def phase_from(nn: str) -> Phase:
    if not _NN.fullmatch(nn) or int(nn) > 41:
        raise NotFoundError(f"there is no phase {nn[:8]!r}; phases run from 00 to 41")
    return PHASES[int(nn)]


def title(phase: Phase, locale: str) -> str:
    return phase.title_es if locale == "es" else phase.title_en


def _statuses(ctx: Ctx) -> dict[int, str]:
    """The visitor's own statuses; a guest has none (and costs no query)."""
    if ctx.user is None:
        return {}
    with ctx.portal.reader() as conn:
        return learning.statuses(conn, ctx.user.id)


@router.get("/")
async def home(request: Request) -> Response:
    """A learner's today (due reviews, next phase, recent scores, streak); for a guest, the curriculum to read
    (everything personal needs a login)."""
    ctx = context(request)
    user = ctx.user
    if user is None:
        return _curriculum(ctx)
    with ctx.portal.engine.connect() as conn:
        day = today.build(
            ctx.portal, conn, user.id, user.timezone, ctx.portal.settings.review_daily_cap
        )
    upcoming = day.next_phase
    return page(
        ctx,
        "today.html",
        day=day,
        next_title=title(upcoming, ctx.locale) if upcoming is not None else "",
    )


@router.get("/progress")
async def progress(request: Request) -> Response:
    """The 42-phase strip and list: where the learner stands across the whole curriculum."""
    ctx = context(request)
    ctx.require_user()
    mine = _statuses(ctx)
    rows = [
        (phase, title(phase, ctx.locale), mine.get(phase.number, "not_started")) for phase in PHASES
    ]
    done = sum(1 for _, _, status in rows if status == "done")
    return page(ctx, "home.html", rows=rows, done=done, total=len(PHASES))


@router.get("/phases")
async def phases(request: Request) -> Response:
    return _curriculum(context(request))


def _curriculum(ctx: Ctx) -> Response:
    mine = _statuses(ctx)
    rows = [
        (phase, title(phase, ctx.locale), mine.get(phase.number, "not_started")) for phase in PHASES
    ]
    docs = ctx.portal.settings.docs_dir
    written = {p.number for p in PHASES if (docs / p.dirname / "README.md").is_file()}
    return page(ctx, "phases.html", rows=rows, written=written)


def _slot(ctx: Ctx, page_path: str, by_anchor: dict[str, list[learning.Note]]) -> Slot:
    labels = {key: ctx.t(f"note.{key}") for key in ("add", "body", "save", "edit", "delete")}
    slots = NoteSlots(csrf=ctx.csrf, labels=labels, page=page_path)

    def slot(anchor: str) -> str:
        return str(slots(anchor, by_anchor.get(anchor, ())))

    return slot


def _no_slot(anchor: str) -> str:
    return ""


@router.get("/phases/{nn}")
async def phase_page(request: Request, nn: str) -> Response:
    """The phase's guide with the reader's notes at their paragraphs; a guest reads the guide alone."""
    ctx = context(request)
    user = ctx.user
    phase = phase_from(nn)
    if nn != phase.code:
        return redirect(ctx, f"/phases/{phase.code}")
    page_path = f"/phases/{phase.code}"
    portal = ctx.portal
    notes: list[learning.Note] = []
    status = "not_started"
    if user is not None:
        with portal.reader() as conn:
            notes = learning.notes_for(conn, user.id, page_path)
            status = learning.statuses(conn, user.id).get(phase.number, "not_started")
    parsed = request.app.state.pages.load(portal.settings.docs_dir / phase.dirname / "README.md")
    by_anchor: dict[str, list[learning.Note]] = {}
    for note in notes:
        by_anchor.setdefault(note.anchor, []).append(note)
    body = None
    slot = _slot(ctx, page_path, by_anchor) if user is not None else _no_slot
    orphans: list[learning.Note] = list(notes)
    if parsed is not None:
        body = Markup(parsed.render(slot))  # noqa: S704  # markdown-it output, raw HTML disabled
        known = set(parsed.anchors)
        orphans = [note for note in notes if note.anchor not in known]
    quiz = request.app.state.quizzes.get(phase.number)
    return page(
        ctx,
        "phase.html",
        phase=phase,
        phase_title=title(phase, ctx.locale),
        body=body,
        orphans=orphans,
        my_status=status,
        statuses=STATUSES,
        quiz_items=len(quiz.items) if quiz is not None else 0,
        orphan_slots=[Markup(slot(a)) for a in dict.fromkeys(n.anchor for n in orphans)],  # noqa: S704  # escaped
    )


@router.post("/phases/{nn}/progress")
async def set_progress(request: Request, nn: str) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    phase = phase_from(nn)
    status = text_field(fields, "status", max_len=16)
    with ctx.portal.engine.begin() as conn:
        learning.set_status(ctx.portal, conn, user.id, phase.number, status)
    return redirect(ctx, safe_next(fields.get("next"), f"/phases/{phase.code}"))


@router.post("/locale")
async def switch_locale(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    locale = text_field(fields, "locale", max_len=8)
    if locale not in LOCALES:
        raise PortalError(f"locale must be one of {', '.join(LOCALES)}, got {locale!r}")
    if ctx.user is not None:
        with ctx.portal.engine.begin() as conn:
            update_profile(ctx.portal, conn, ctx.user.id, locale=locale)
    ctx.set_cookies.append((LOCALE_COOKIE, locale, 365 * 24 * 3600))
    return redirect(ctx, safe_next(fields.get("next")))
