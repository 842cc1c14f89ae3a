"""Curriculum rendering: stable paragraph anchors and no way for markdown to carry script."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from miniportal.content import PageCache, parse, slugify

DOC = """# Title

Intro paragraph.

## Section A

A one.

A two.

## Section B

B one.
"""


def test_anchors_name_section_and_position() -> None:
    assert parse(DOC).anchors == ("title-p1", "section-a-p1", "section-a-p2", "section-b-p1")


def test_editing_another_section_or_the_paragraph_itself_keeps_anchors() -> None:
    edited = DOC.replace("A one.", "A one, reworded at length.").replace(
        "## Section B", "## Section A2\n\nNew text.\n\n## Section B"
    )
    before, after = parse(DOC).anchors, parse(edited).anchors
    assert set(before) <= set(after)
    assert "section-a2-p1" in after


def test_duplicate_headings_get_distinct_anchors() -> None:
    anchors = parse("## Notes\n\none\n\n## Notes\n\ntwo\n").anchors
    assert anchors == ("notes-p1", "notes-2-p1")


def test_slugify_handles_spanish_and_symbols() -> None:
    assert slugify("¿Qué es la atención?") == "que-es-la-atencion"
    assert slugify("🇪🇸 !!!") == "section"
    assert len(slugify("x" * 500)) == 100


@given(st.text(max_size=300))
def test_no_markdown_produces_script_or_event_handlers(text: str) -> None:
    html = parse(text + "\n\n<script>x</script> <a href='javascript:y'>z</a>").render(None)
    assert "<script" not in html and "<a href='javascript" not in html
    assert 'href="javascript' not in html


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_every_anchor_is_a_valid_note_anchor(text: str) -> None:
    from miniportal.learning import ANCHOR

    for anchor in parse(text).anchors:
        assert ANCHOR.match(anchor), anchor


def test_the_cache_notices_an_edited_file(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    cache = PageCache()
    assert cache.load(path) is None
    path.write_text("# One\n\ntext\n", encoding="utf-8")
    assert cache.load(path).anchors == ("one-p1",)  # type: ignore[union-attr]
    path.write_text("# Two\n\ntext and more\n", encoding="utf-8")
    assert cache.load(path).anchors == ("two-p1",)  # type: ignore[union-attr]
    path.write_bytes(b"\xff\xfe bad utf-8")
    assert cache.load(path) is None


def test_tight_list_items_carry_anchors_and_slots() -> None:
    page = parse("## Steps\n\n- first\n- second\n\nAfter.\n")
    assert page.anchors == ("steps-p1", "steps-p2", "steps-p3")
    html = page.render(lambda anchor: f"[{anchor}]")
    assert '<li id="steps-p1" data-anchor="steps-p1">first[steps-p1]</li>' in html
    assert '<p id="steps-p3" data-anchor="steps-p3">After.</p>\n[steps-p3]' in html
