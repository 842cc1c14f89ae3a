"""The learner workspace: plain files under `learners/<name>/`, one folder per learner, no server needed.

Progress is kept as JSON (the truth) and rendered to `progress.md` (for people); every write is atomic, so an
interrupted quiz never leaves a half-written progress file. The portal (phase 41) keeps the same facts in its
database; this workspace is what a learner working alone in a terminal has.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from lynx_cortex.paths import learners_dir, project_root
from lynx_cortex.phases import PHASES

TEMPLATE = "_template"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def validate_name(name: str) -> str:
    if not NAME.match(name):
        raise LynxError(
            f"learner name {name!r} must be 1-32 characters of a-z, 0-9, '-' or '_', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class Workspace:
    name: str
    root: Path

    @property
    def progress_json(self) -> Path:
        return self.root / "progress.json"

    @property
    def progress_md(self) -> Path:
        return self.root / "progress.md"

    @property
    def attempts_log(self) -> Path:
        return self.root / "quiz-attempts.jsonl"

    @property
    def journal_dir(self) -> Path:
        return self.root / "journal"

    def load_progress(self) -> dict[str, Any]:
        if not self.progress_json.exists():
            return {"learner": self.name, "phases": {}}
        try:
            data = json.loads(read_text(self.progress_json))
        except json.JSONDecodeError as exc:
            raise LynxError(
                f"{self.progress_json}: not valid JSON (line {exc.lineno}: {exc.msg})"
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("phases"), dict):
            raise LynxError(f"{self.progress_json}: expected an object with a 'phases' object")
        return data


def _template_dir() -> Path:
    for base in (learners_dir(), project_root() / "learners"):
        candidate = base / TEMPLATE
        if candidate.is_dir():
            return candidate
    raise LynxError("learners/_template/ is missing from the checkout; restore it with git")


def init_learner(name: str) -> Workspace:
    validate_name(name)
    target = learners_dir() / name
    if target.exists():
        raise LynxError(f"learner workspace {target} already exists")
    staging = target.with_name(f".{name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(_template_dir(), staging)
    workspace = Workspace(name, staging)
    write_json_atomic(
        staging / "profile.json",
        {"name": name, "created_at": datetime.now(UTC).isoformat(timespec="seconds")},
    )
    _render_progress(workspace, {"learner": name, "phases": {}})
    staging.rename(target)
    return Workspace(name, target)


def list_learners() -> list[str]:
    base = learners_dir()
    if not base.is_dir():
        if base.exists():
            raise LynxError(
                f"learners folder {base} is a file, not a folder (check LYNX_LEARNERS_DIR)"
            )
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and NAME.match(p.name))


def resolve_learner(name: str | None) -> Workspace:
    """`name`, else `$LYNX_LEARNER`, else the only workspace there is."""
    chosen = name or os.environ.get("LYNX_LEARNER")
    if chosen:
        validate_name(chosen)
        root = learners_dir() / chosen
        if not root.is_dir():
            raise LynxError(
                f"no learner workspace '{chosen}'; create it with `lynx learner init {chosen}`"
            )
        return Workspace(chosen, root)
    known = list_learners()
    if len(known) == 1:
        return Workspace(known[0], learners_dir() / known[0])
    if not known:
        raise LynxError("no learner workspace yet; create one with `lynx learner init NAME`")
    raise LynxError(f"several learners ({', '.join(known)}); choose one with --learner NAME")


def record_quiz_attempt(
    workspace: Workspace,
    *,
    phase: int,
    correct: int,
    total: int,
    passed: bool,
    answers: Mapping[str, Any],
) -> dict[str, Any]:
    """Append the attempt to the log and fold it into progress; returns the phase's updated entry."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    score = correct / total if total else 0.0
    attempt = {
        "at": now,
        "phase": phase,
        "correct": correct,
        "total": total,
        "passed": passed,
        "answers": answers,
    }
    with workspace.attempts_log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(attempt, sort_keys=True, ensure_ascii=False) + "\n")
    progress = workspace.load_progress()
    entry = progress["phases"].setdefault(f"{phase:02d}", {})
    quiz = entry.setdefault("quiz", {"attempts": 0, "best": 0.0, "passed": False})
    quiz["attempts"] += 1
    quiz["best"] = max(float(quiz["best"]), round(score, 4))
    quiz["last"] = round(score, 4)
    quiz["last_at"] = now
    quiz["passed"] = bool(quiz["passed"] or passed)
    write_json_atomic(workspace.progress_json, progress)
    _render_progress(workspace, progress)
    return dict(entry)


def _render_progress(workspace: Workspace, progress: Mapping[str, Any]) -> None:
    lines = [
        f"# Progress — {workspace.name}",
        "",
        "Generated from `progress.json` by `lynx`; edit that file, not this one.",
        "",
        "| phase | title | quiz best | attempts | passed |",
        "|---|---|---|---|---|",
    ]
    for phase in PHASES:
        quiz = progress.get("phases", {}).get(phase.code, {}).get("quiz")
        if quiz:
            best, attempts, passed = (
                f"{quiz['best']:.0%}",
                str(quiz["attempts"]),
                "yes" if quiz["passed"] else "no",
            )
        else:
            best, attempts, passed = "—", "0", "—"
        lines.append(f"| {phase.code} | {phase.title_en} | {best} | {attempts} | {passed} |")
    write_text_atomic(workspace.progress_md, "\n".join(lines) + "\n")


def journal_path(workspace: Workspace, day: date) -> Path:
    return workspace.journal_dir / f"{day.isoformat()}.md"


def add_journal_entry(
    workspace: Workspace, day: date, message: str | None, *, now: datetime
) -> Path:
    """Create the day's entry if needed; append `message` under a UTC time stamp when given."""
    path = journal_path(workspace, day)
    text = read_text(path) if path.exists() else f"# Journal — {day.isoformat()}\n"
    if message is not None:
        if not message.strip():
            raise LynxError("journal message is empty")
        control = next(
            (ch for ch in message if unicodedata.category(ch) == "Cc" and ch != "\t"), None
        )
        if control is not None:
            raise LynxError(
                f"journal message has a control character (U+{ord(control):04X}); write plain text"
            )
        text = text.rstrip("\n") + f"\n\n- {now.strftime('%H:%M')} UTC — {message.strip()}\n"
    write_text_atomic(path, text)
    return path
