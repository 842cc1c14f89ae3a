"""The learner's memory file: round trip, atomic writes, a bounded size, and concurrent updates."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynx_cortex.errors import LynxError
from miniagent.agent import longterm
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES


@dataclass(frozen=True)
class Fake:
    in_scope: bool = True
    was_correct: bool | None = False
    verb: str | None = "go"
    tense: str | None = "past_simple"
    error_type: str | None = "overregularization_past"
    trace: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"step": "parse", "result": {"written": "goed", "expected": "went"}}
        ]
    )


def test_round_trip_and_counts(tmp_path: Path) -> None:
    path = tmp_path / longterm.MEMORY_FILE
    longterm.record(path, "ana", Fake())
    longterm.record(path, "ana", Fake(was_correct=True, error_type=None))
    longterm.record(path, "ana", Fake(in_scope=False, was_correct=None, verb=None, tense=None))
    memory = longterm.load(path, "ana")
    assert memory == json.loads(path.read_text(encoding="utf-8"))
    assert (memory["corrections"], memory["in_scope"], memory["correct"]) == (3, 2, 1)
    assert memory["tenses"] == {"past_simple": {"total": 2, "correct": 1}}
    entry = memory["errors"]["overregularization_past"]
    assert entry["count"] == 1 and entry["verbs"] == {"go": 1}
    assert entry["examples"] == [
        {"verb": "go", "tense": "past_simple", "written": "goed", "expected": "went"}
    ]
    assert longterm.summary(memory, "overregularization_past") is None  # once is not a pattern


def test_a_real_correction_is_recorded(tmp_path: Path) -> None:
    from miniagent.tutor.tutor import GrammarTutor

    path = tmp_path / longterm.MEMORY_FILE
    got = GrammarTutor().correct("my brother eat pizza every day")
    longterm.record(path, "ana", got)
    memory = longterm.record(path, "ana", got)
    assert memory["errors"]["missing_third_person_s"]["examples"][0]["written"] == "eat"
    assert "2 times" in str(longterm.summary(memory, "missing_third_person_s"))


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, *MIS_CONJUGATION_TYPES]),
            st.sampled_from(["go", "eat", "have", "be", "write"]),
            st.text(min_size=1, max_size=300),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_the_file_stays_small_whatever_is_recorded(
    tmp_path_factory: pytest.TempPathFactory, events: list[tuple[str | None, str, str]]
) -> None:
    path = tmp_path_factory.mktemp("mem") / longterm.MEMORY_FILE
    memory = longterm.empty("ana")
    for code, verb, written in events:
        trace = [{"step": "parse", "result": {"written": written, "expected": "x"}}]
        longterm.update(
            memory, Fake(was_correct=code is None, verb=verb, error_type=code, trace=trace)
        )
    longterm.record(path, "ana", Fake())
    assert all(len(e["examples"]) <= longterm.MAX_EXAMPLES for e in memory["errors"].values())
    assert all(
        len(x["written"]) <= longterm.MAX_GROUP_CHARS
        for e in memory["errors"].values()
        for x in e["examples"]
    )
    assert path.stat().st_size < 8_000


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / longterm.MEMORY_FILE
    longterm.record(path, "ana", Fake())
    before = path.read_bytes()

    def boom(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        longterm.record(path, "ana", Fake())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, f".{path.name}.lock"]
    )  # no temporary file left behind


def test_a_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    path = tmp_path / longterm.MEMORY_FILE
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LynxError, match="not a tutor memory"):
        longterm.record(path, "ana", Fake())
    path.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(LynxError, match="expected format"):
        longterm.load(path, "ana")
    assert path.read_text(encoding="utf-8") == '{"format": "other"}'


def test_concurrent_updates_are_not_lost(tmp_path: Path) -> None:
    path = tmp_path / longterm.MEMORY_FILE
    threads = [
        threading.Thread(target=longterm.record, args=(path, "ana", Fake())) for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert longterm.load(path, "ana")["corrections"] == 16
