"""Control characters in user text: which ones are refused, in one place for forms, notes and answers.

C0 and C1 controls, DEL and unpaired surrogates are never part of a name, a note or an answer. NUL in particular
is stored by SQLite but refused by PostgreSQL, so letting it through made the same request succeed on one
backend and fail with a 500 on the other. Multi-line text (notes, journal entries) keeps tab, line feed and
carriage return.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
NUL_OR_SURROGATE = re.compile(r"[\x00\ud800-\udfff]")


def find_control(text: str, *, multiline: bool = False) -> str | None:
    """`U+XXXX at character K` for the first refused character in `text`, or None if there is none."""
    found = (CONTROL_MULTILINE if multiline else CONTROL).search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at character {found.start() + 1}"
