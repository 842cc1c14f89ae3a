"""A learner's long-term memory: which errors they make, kept as one small JSON file in their workspace.

`learners/<name>/tutor-memory.json` (format `lynx-tutor-memory/1`), written atomically under a lock so two
`lynx tutor --learner` runs cannot lose an update:

    {"format": "lynx-tutor-memory/1", "learner": "ana", "updated": "2026-12-03T19:00:00Z",
     "corrections": 12, "in_scope": 10, "correct": 6,
     "tenses": {"past_simple": {"total": 5, "correct": 2}, ...},
     "errors": {"overregularization_past": {"count": 3, "last_seen": "...", "verbs": {"go": 2, "eat": 1},
                "examples": [{"verb": "go", "tense": "past_simple", "written": "goed", "expected": "went"}]}}}

What it keeps is aggregate and bounded by construction: counters per error type (the taxonomy's six), per
verb (the 20) and per tense (five), and at most `MAX_EXAMPLES` recent examples per error type, each only the
verb group the learner wrote and the table's (never the sentence: the memory is about the grammar, not what
the learner was writing about). The portal can read it without importing anything of ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError

FORMAT: Final = "lynx-tutor-memory/1"
MEMORY_FILE: Final = "tutor-memory.json"
MAX_EXAMPLES: Final = 3
MAX_GROUP_CHARS: Final = 40  # a verb group longer than this is cut (no verb group of the table is)


class CorrectionLike(Protocol):
    """The fields of a tutor `Correction` the memory reads."""

    @property
    def in_scope(self) -> bool: ...
    @property
    def was_correct(self) -> bool | None: ...
    @property
    def verb(self) -> str | None: ...
    @property
    def tense(self) -> str | None: ...
    @property
    def error_type(self) -> str | None: ...
    @property
    def trace(self) -> list[dict[str, Any]]: ...


def empty(learner: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "learner": learner,
        "updated": None,
        "corrections": 0,
        "in_scope": 0,
        "correct": 0,
        "tenses": {},
        "errors": {},
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load(path: Path, learner: str) -> dict[str, Any]:
    """The memory at `path`, or an empty one; a file that is not ours is an error, never overwritten."""
    if not path.exists():
        return empty(learner)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LynxError(
            f"{path}: not a tutor memory file ({exc}); move it away to start afresh"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LynxError(f"{path}: expected format {FORMAT!r}; move it away to start afresh")
    return data


def _group(trace: list[dict[str, Any]]) -> tuple[str, str]:
    """What the learner wrote and what the table expects, from the parse step of the trace."""
    parsed: dict[str, Any] = next((s["result"] for s in trace if s.get("step") == "parse"), {})
    return (
        str(parsed.get("written", ""))[:MAX_GROUP_CHARS],
        str(parsed.get("expected", ""))[:MAX_GROUP_CHARS],
    )


def update(memory: dict[str, Any], correction: CorrectionLike, when: str | None = None) -> None:
    """Count one correction in place. Declines count only as corrections asked (nothing about grammar)."""
    stamp = when or _now()
    memory["corrections"] += 1
    memory["updated"] = stamp
    if not correction.in_scope or correction.was_correct is None or not correction.tense:
        return
    memory["in_scope"] += 1
    memory["correct"] += int(correction.was_correct)
    tense = memory["tenses"].setdefault(correction.tense, {"total": 0, "correct": 0})
    tense["total"] += 1
    tense["correct"] += int(correction.was_correct)
    if correction.error_type is None:
        return
    entry = memory["errors"].setdefault(
        correction.error_type, {"count": 0, "last_seen": stamp, "verbs": {}, "examples": []}
    )
    entry["count"] += 1
    entry["last_seen"] = stamp
    if correction.verb:
        entry["verbs"][correction.verb] = entry["verbs"].get(correction.verb, 0) + 1
    written, expected = _group(correction.trace)
    example = {
        "verb": correction.verb,
        "tense": correction.tense,
        "written": written,
        "expected": expected,
    }
    kept = [e for e in entry["examples"] if e != example]
    entry["examples"] = [example, *kept][:MAX_EXAMPLES]  # newest first, no repeats


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(path: Path, learner: str, correction: CorrectionLike) -> dict[str, Any]:
    """Read, count, write back atomically, under an exclusive lock; returns what was written."""
    with _locked(path):
        memory = load(path, learner)
        update(memory, correction)
        write_json_atomic(path, memory)
    return memory


def summary(memory: dict[str, Any], error_type: str | None) -> str | None:
    """One line for the learner about this error type, if they have made it before."""
    entry = memory["errors"].get(error_type or "")
    if not entry or entry["count"] < 2:
        return None
    verbs = ", ".join(sorted(entry["verbs"], key=lambda v: -entry["verbs"][v])[:3])
    return f"you have made this error {entry['count']} times ({verbs})"


__all__ = ["FORMAT", "MAX_EXAMPLES", "MEMORY_FILE", "empty", "load", "record", "summary", "update"]
