"""The 42-cell progress strip as one string, built from cells made once per language.

The cohort page draws a strip per learner: 50 learners are 2,100 cells, and drawing each through the template
(two translations, an escape and a format per cell) was most of the page's time. A cell depends only on the
phase, the status and the language, so the 126 distinct cells are made once and a strip is a join of 42 of
them. Every cell keeps its symbol, `title` and `aria-label`, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from markupsafe import Markup, escape

from lynx_cortex.phases import PHASES
from miniportal.db import STATUSES
from miniportal.i18n import translate

SYMBOLS = {"done": "✓", "in_progress": "½", "not_started": "·"}


@lru_cache(maxsize=4)
def _cells(locale: str) -> Mapping[tuple[int, str], str]:
    cells = {}
    for phase in PHASES:
        for status in STATUSES:
            name = escape(translate(locale, f"status.{status}"))
            cells[(phase.number, status)] = (
                f'<span role="listitem" class="cell phase-{status}" title="{phase.code} · {name}" '
                f'aria-label="{phase.code}: {name}">{SYMBOLS[status]}</span>'
            )
    return cells


def strip(statuses: Mapping[int, str], locale: str, label: str) -> Markup:
    """One learner's strip; `label` names it for screen readers."""
    cells = _cells(locale)
    body = "".join(
        cells.get(
            (p.number, statuses.get(p.number, "not_started")), cells[(p.number, "not_started")]
        )
        for p in PHASES
    )
    return Markup(f'<div class="strip" role="list" aria-label="{escape(label)}">{body}</div>')  # noqa: S704  # every piece escaped above
