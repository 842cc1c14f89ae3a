from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.workspace import (
    add_journal_entry,
    init_learner,
    list_learners,
    record_quiz_attempt,
    resolve_learner,
)


@pytest.fixture(autouse=True)
def learners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = tmp_path / "learners"
    monkeypatch.setenv("LYNX_LEARNERS_DIR", str(base))
    monkeypatch.delenv("LYNX_LEARNER", raising=False)
    return base


def test_init_copies_template_and_refuses_twice(learners: Path) -> None:
    ws = init_learner("ana")
    assert (ws.root / "README.md").is_file()
    assert (ws.root / "journal").is_dir()
    assert json.loads((ws.root / "profile.json").read_text())["name"] == "ana"
    assert "| 00 | Foundations |" in ws.progress_md.read_text()
    with pytest.raises(LynxError, match="already exists"):
        init_learner("ana")
    assert list_learners() == ["ana"]
    assert not list(learners.glob(".*partial"))


@pytest.mark.parametrize("name", ["", "Ana", "../etc", "a b", "x" * 33, "-a"])
def test_rejects_unsafe_names(name: str) -> None:
    with pytest.raises(LynxError, match="learner name"):
        init_learner(name)


def test_resolve_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LynxError, match="lynx learner init"):
        resolve_learner(None)
    init_learner("ana")
    assert resolve_learner(None).name == "ana"
    init_learner("ben")
    with pytest.raises(LynxError, match="several learners"):
        resolve_learner(None)
    monkeypatch.setenv("LYNX_LEARNER", "ben")
    assert resolve_learner(None).name == "ben"
    with pytest.raises(LynxError, match="no learner workspace 'cy'"):
        resolve_learner("cy")


def test_quiz_attempts_fold_into_progress() -> None:
    ws = init_learner("ana")
    record_quiz_attempt(ws, phase=0, correct=3, total=5, passed=False, answers={"q": 1})
    entry = record_quiz_attempt(ws, phase=0, correct=4, total=5, passed=True, answers={"q": 2})
    assert entry["quiz"]["attempts"] == 2
    assert entry["quiz"]["best"] == 0.8 and entry["quiz"]["passed"] is True
    record_quiz_attempt(ws, phase=0, correct=1, total=5, passed=False, answers={})
    progress = ws.load_progress()["phases"]["00"]["quiz"]
    assert progress["best"] == 0.8 and progress["last"] == 0.2 and progress["passed"] is True
    assert len(ws.attempts_log.read_text().splitlines()) == 3
    assert "| 00 | Foundations | 80% | 3 | yes |" in ws.progress_md.read_text()


def test_corrupt_progress_is_reported() -> None:
    ws = init_learner("ana")
    ws.progress_json.write_text("{oops")
    with pytest.raises(LynxError, match="progress.json: not valid JSON"):
        ws.load_progress()


def test_journal_creates_and_appends() -> None:
    ws = init_learner("ana")
    now = datetime(2026, 5, 22, 19, 14, tzinfo=UTC)
    path = add_journal_entry(ws, date(2026, 5, 22), None, now=now)
    assert path.name == "2026-05-22.md" and path.read_text() == "# Journal — 2026-05-22\n"
    add_journal_entry(ws, date(2026, 5, 22), "  hash order differed  ", now=now)
    add_journal_entry(ws, date(2026, 5, 22), "fixed by exporting it", now=now)
    text = path.read_text()
    assert "- 19:14 UTC — hash order differed\n" in text and text.endswith(
        "fixed by exporting it\n"
    )
    with pytest.raises(LynxError, match="empty"):
        add_journal_entry(ws, date(2026, 5, 22), "   ", now=now)
