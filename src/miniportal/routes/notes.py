"""Notes: create one on a paragraph, list mine, edit or delete mine (anyone else's answers 404)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lynx_cortex.phases import PHASES
from miniportal import learning
from miniportal.errors import NotFoundError
from miniportal.web import context, form, page, redirect, text_field

router = APIRouter()


def _note_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError("no such note")
    return int(raw)


@router.get("/notes")
async def list_notes(request: Request) -> Response:
    ctx = context(request)
    user = ctx.require_user()
    with ctx.portal.engine.connect() as conn:
        notes = learning.notes_for(conn, user.id)
    titles = {
        f"/phases/{p.code}": (p.title_es if ctx.locale == "es" else p.title_en) for p in PHASES
    }
    return page(ctx, "notes.html", notes=notes, titles=titles)


@router.post("/notes")
async def create_note(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    page_path = text_field(fields, "page", max_len=64)
    anchor = text_field(fields, "anchor", max_len=128)
    body = text_field(fields, "body", max_len=learning.MAX_NOTE_CHARS + 1024, multiline=True)
    with ctx.portal.engine.begin() as conn:
        learning.add_note(ctx.portal, conn, user.id, page_path, anchor, body)
    return redirect(ctx, f"{page_path}#{anchor}")


@router.post("/notes/{note_id}/edit")
async def edit_note(request: Request, note_id: str) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    body = text_field(fields, "body", max_len=learning.MAX_NOTE_CHARS + 1024, multiline=True)
    with ctx.portal.engine.begin() as conn:
        note = learning.edit_note(ctx.portal, conn, user.id, _note_id(note_id), body)
    return redirect(ctx, f"{note.page}#{note.anchor}")


@router.post("/notes/{note_id}/delete")
async def delete_note(request: Request, note_id: str) -> Response:
    ctx = context(request)
    await form(ctx)
    user = ctx.require_user()
    with ctx.portal.engine.begin() as conn:
        note = learning.delete_note(conn, user.id, _note_id(note_id))
    return redirect(ctx, f"{note.page}#{note.anchor}")
