"""`lynx tutor --trace | --planner | --learner` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli


@pytest.fixture
def learners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LYNX_LEARNERS_DIR", str(tmp_path))
    monkeypatch.delenv("LYNX_LEARNER", raising=False)
    return tmp_path


def test_trace_prints_each_step_readably() -> None:
    out = CliRunner().invoke(cli, ["tutor", "--trace", "He is go to watch a film."])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "correction: He is going to watch a film." in lines
    assert "  step 1: conjugate" in lines and "  step 7: lookup_spanish" in lines
    for label in ("thought:", "arguments:", "observation: ok"):
        assert sum(label in line for line in lines) == 7, label
    assert any(line.startswith("  final answer:") for line in lines)


def test_json_is_unchanged_and_carries_the_trace_on_request() -> None:
    plain = CliRunner().invoke(cli, ["tutor", "--json", "I has a book."])
    data = json.loads(plain.output)
    assert "trace" not in data and data["correction"] == "I have a book."
    traced = json.loads(
        CliRunner().invoke(cli, ["tutor", "--json", "--trace", "I has a book."]).output
    )
    tools = [s["tool"] for s in traced["trace"] if s["step"] == "tool"]
    assert tools[:3] == ["conjugate", "check_subject_verb_agreement", "classify_sentence"]


def test_the_model_planner_never_prints_an_unchecked_correction() -> None:
    out = CliRunner().invoke(
        cli, ["tutor", "--planner", "model", "--trace", "Yesterday she goed to the market."]
    )
    assert out.exit_code == 0, out.output
    first = out.output.splitlines()[0]
    assert first in ("correction: Yesterday she went to the market.",) or first.startswith(
        "undecided:"
    )


def test_learner_memory_is_updated(learners: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["learner", "init", "ana"]).exit_code == 0
    for _ in range(2):
        out = runner.invoke(cli, ["tutor", "--learner", "ana", "Yesterday she goed to the market."])
        assert out.exit_code == 0, out.output
    assert "memory:     you have made this error 2 times (go)" in out.output
    memory = json.loads((learners / "ana" / "tutor-memory.json").read_text(encoding="utf-8"))
    assert memory["errors"]["overregularization_past"]["count"] == 2


def test_an_unknown_learner_is_one_line_and_a_non_zero_exit(learners: Path) -> None:
    out = CliRunner().invoke(cli, ["tutor", "--learner", "nobody", "I has a book."])
    assert out.exit_code != 0 and "lynx learner init nobody" in out.output
    assert len(out.output.strip().splitlines()) == 1
