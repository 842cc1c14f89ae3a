"""The notes block under a paragraph, built in plain Python: a phase page has dozens of these per request,
and string formatting with explicit escaping is an order of magnitude cheaper than a template call each.

`NoteSlots` escapes what every block of one page shares (the CSRF field, the labels, the page path) once, so a
block without notes, the common case, costs one escape (its anchor) and one string join.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from miniportal.learning import Note


class NoteSlots:
    """The note blocks of one page, for one request (the CSRF token is the session's)."""

    def __init__(self, *, csrf: str, labels: dict[str, str], page: str) -> None:
        self._token = f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        self._edit = escape(labels["edit"])
        self._save = escape(labels["save"])
        self._delete = escape(labels["delete"])
        self._add_head = (
            f'<details class="note-add"><summary>{escape(labels["add"])}</summary>'
            f'<form method="post" action="/notes">{self._token}'
            f'<input type="hidden" name="page" value="{escape(page)}">'
            '<input type="hidden" name="anchor" value="'
        )
        self._add_tail = (
            f'"><textarea name="body" rows="3" required aria-label="{escape(labels["body"])}">'
            f'</textarea><button type="submit">{self._save}</button></form></details></div>'
        )

    def _note(self, note: Note) -> str:
        body = escape(note.body)
        return (
            f'<div class="note" id="note-{note.id}"><div class="note-body">{body}</div>'
            f'<details class="note-edit"><summary>{self._edit}</summary>'
            f'<form method="post" action="/notes/{note.id}/edit">{self._token}'
            f'<textarea name="body" rows="3" required>{body}</textarea>'
            f'<button type="submit">{self._save}</button></form>'
            f'<form method="post" action="/notes/{note.id}/delete" class="confirm">{self._token}'
            f'<button type="submit" class="danger">{self._delete}</button></form>'
            "</details></div>"
        )

    def __call__(self, anchor: str, notes: Sequence[Note] = ()) -> Markup:
        safe_anchor = escape(anchor)
        parts = [f'<div class="notes-at" data-for="{safe_anchor}">']
        parts.extend(self._note(note) for note in notes)
        parts += [self._add_head, safe_anchor, self._add_tail]
        return Markup("".join(parts))  # noqa: S704  # every interpolated value is escaped
