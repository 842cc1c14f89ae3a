"""JSON Lines: the one reader for every `.jsonl` file of the project (corpus splits, probe sets, metrics logs).

It lives in the core because every layer reads such files and no layer below `minicorpus` may import it. One
line holds one JSON object; anything else is a `JsonlError` that names the file and the line number, so the
user can open the file at the culprit. Lines are split on `\\n` only (not on the Unicode line separators that
`str.splitlines` also honours, which `json.dumps(..., ensure_ascii=False)` may leave inside a string).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from lynx_cortex.errors import LynxError

BlankLines = Literal["skip", "error"]


class JsonlError(LynxError, ValueError):
    """A JSON Lines file that cannot be read. A `ValueError` too, so callers that guard parsing keep working."""


def iter_jsonl(
    path: Path, *, blank_lines: BlankLines = "skip"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) for each line of `path`.

    Blank lines are skipped by default (hand-edited files); `blank_lines="error"` refuses them, for files that
    a program writes byte-exactly and that therefore never contain one.
    """
    path = Path(path)
    if not path.is_file():
        raise JsonlError(f"{path} does not exist")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonlError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another one
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if blank_lines == "error":
                raise JsonlError(f"{path}:{number}: empty line (one JSON object per line expected)")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonlError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise JsonlError(
                f"{path}:{number}: expected a JSON object, found {type(value).__name__}"
            )
        yield number, value


def read_jsonl(path: Path, *, blank_lines: BlankLines = "skip") -> list[dict[str, Any]]:
    """Every object of `path`, in file order (see `iter_jsonl` for the errors)."""
    return [value for _, value in iter_jsonl(path, blank_lines=blank_lines)]


__all__ = ["BlankLines", "JsonlError", "iter_jsonl", "read_jsonl"]
