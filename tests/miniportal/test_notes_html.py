"""The notes block under a paragraph: everything the learner or the page supplies arrives escaped."""

from __future__ import annotations

from datetime import datetime

from miniportal.learning import Note
from miniportal.notes_html import NoteSlots

LABELS = {"add": "Add", "body": "Note", "save": "Save", "edit": "Edit", "delete": "Delete"}
T = datetime(2026, 1, 1)


def test_bodies_anchors_and_tokens_are_escaped() -> None:
    slots = NoteSlots(csrf='t"ok', labels=LABELS, page="/phases/17")
    note = Note(7, "/phases/17", "a", "<script>alert(1)</script>", T, T)
    html = str(slots('x" onmouseover="y', [note]))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-for="x&#34; onmouseover=&#34;y"' in html
    assert (
        html.count('value="t&#34;ok"') == 3
    )  # the edit, delete and add forms each carry the token
    assert 'action="/notes/7/edit"' in html and 'action="/notes/7/delete"' in html


def test_a_block_without_notes_is_only_the_add_form_for_its_anchor() -> None:
    slots = NoteSlots(csrf="tok", labels=LABELS, page="/phases/17")
    html = str(slots("what-you-build-p1"))
    assert html.startswith('<div class="notes-at" data-for="what-you-build-p1">')
    assert 'name="anchor" value="what-you-build-p1"' in html and 'class="note"' not in html
    assert html.endswith("</details></div>")
