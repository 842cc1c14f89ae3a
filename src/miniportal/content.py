"""Curriculum pages, rendered live from `docs/` with stable paragraph anchors.

Raw HTML in the markdown is disabled (it is shown as text), and markdown-it's link validation drops
`javascript:` and similar URLs, so a page cannot carry script into a learner's browser.

Anchors are `<section-slug>-p<k>`: the k-th paragraph (or item of a tight list) under a heading. Editing another section, or the wording of
the paragraph itself, keeps the anchor (and the notes attached to it); renaming the heading or inserting a
paragraph above it in the same section moves them, and the page lists such orphaned notes at the bottom.
Parsed pages are cached by (path, mtime, size), so an edited README shows up on the next request.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

MAX_SLUG = 100

Slot = Callable[[str], str]


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-' ('Qué es?' -> 'que-es'); 'section' if nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "section"


def _paragraph_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    html: str = self.renderToken(tokens, idx, options, env)
    anchor = tokens[idx].meta.get("anchor")
    slot: Slot | None = env.get("slot")
    if anchor and slot is not None:
        html += slot(anchor)
    return html


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.add_render_rule("paragraph_close", _paragraph_close)
    return md


_MD = _make_markdown()


def _annotate(tokens: list[Token]) -> list[str]:
    """Give headings ids and visible paragraphs anchors; returns the anchors in page order."""
    anchors: list[str] = []
    section = "intro"
    used: dict[str, int] = {}
    counter = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content if index + 1 < len(tokens) else ""
            base = slugify(title)
            used[base] = used.get(base, 0) + 1
            section = base if used[base] == 1 else f"{base}-{used[base]}"
            token.attrSet("id", section)
            counter = 0
        elif token.type == "paragraph_open":
            counter += 1
            anchor = f"{section}-p{counter}"
            # A tight list hides its paragraphs' tags, so the list item carries the anchor instead.
            holder: Token | None = token
            if token.hidden:
                previous = tokens[index - 1] if index > 0 else None
                holder = (
                    previous if previous is not None and previous.type == "list_item_open" else None
                )
            if holder is not None and holder.attrGet("id") is None:
                holder.attrSet("id", anchor)
                holder.attrSet("data-anchor", anchor)
            token.meta["anchor"] = anchor
            close = _matching_close(tokens, index)
            tokens[close].meta["anchor"] = anchor
            anchors.append(anchor)
    return anchors


def _matching_close(tokens: list[Token], start: int) -> int:
    level = tokens[start].level
    for index in range(start + 1, len(tokens)):
        if tokens[index].type == "paragraph_close" and tokens[index].level == level:
            return index
    raise ValueError("unbalanced markdown tokens")  # markdown-it always closes paragraphs


_MARKER = re.compile(r"<!--slot:([a-z0-9-]+)-->")


@dataclass(frozen=True)
class ParsedPage:
    """A page rendered once, with a marker after each anchored paragraph; requests only fill the markers."""

    html: str
    anchors: tuple[str, ...]

    def render(self, slot: Slot | None = None) -> str:
        if slot is None:
            return _MARKER.sub("", self.html)
        return _MARKER.sub(lambda match: slot(match.group(1)), self.html)


def parse(markdown: str) -> ParsedPage:
    tokens = _MD.parse(markdown)
    anchors = _annotate(tokens)
    html = _MD.renderer.render(tokens, _MD.options, {"slot": lambda a: f"<!--slot:{a}-->"})
    return ParsedPage(str(html), tuple(anchors))


class PageCache:
    """Parsed pages keyed by file identity; thread-safe because the portal serves from a thread pool."""

    def __init__(self) -> None:
        self._pages: dict[Path, tuple[tuple[int, int], ParsedPage]] = {}
        self._lock = threading.Lock()

    def load(self, path: Path) -> ParsedPage | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._pages.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            page = parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None
        with self._lock:
            self._pages[path] = (key, page)
        return page
