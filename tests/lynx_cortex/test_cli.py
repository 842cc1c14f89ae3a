from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lynx_cortex.cli import cli


@pytest.fixture(autouse=True)
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LYNX_EXPERIMENTS_DIR", str(tmp_path / "experiments"))
    monkeypatch.setenv("LYNX_LEARNERS_DIR", str(tmp_path / "learners"))
    monkeypatch.delenv("LYNX_LEARNER", raising=False)
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def test_help_lists_every_group() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("lab", "break", "phase", "quiz", "manifest", "learner", "journal"):
        assert f"  {name} " in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["lab"],
        ["lab", "run"],
        ["break", "run"],
        ["phase", "check"],
        ["quiz"],
        ["manifest", "diff"],
        ["learner", "init"],
        ["journal"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = run(*args, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_entry_point_runs_as_a_program() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from lynx_cortex.cli import main; main()", "nosuch"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lynx: error: No such command 'nosuch'. (see 'lynx --help')"
    ]


def test_lab_run_writes_results_and_manifest(sandbox: Path) -> None:
    result = run("lab", "run", "00-env-check", "--seed", "3")
    assert result.exit_code == 0, result.output
    out = Path(result.output.strip().splitlines()[-1])
    assert out.parent == sandbox / "experiments" / "00-env-check"
    manifest = json.loads((out / "manifest.json").read_text())
    results = json.loads((out / "results.json").read_text())
    assert (
        manifest["seed"] == 3
        and manifest["kind"] == "lab"
        and "results.json" in manifest["artifacts"]
    )
    assert results["lockfile"]["present"] is True
    assert results["checks"]["python >= 3.11"] is True


def test_lab_run_into_explicit_folder_refuses_non_empty(sandbox: Path) -> None:
    target = sandbox / "mine"
    assert run("lab", "run", "00-env-check", "--out", str(target)).exit_code == 0
    again = run("lab", "run", "00-env-check", "--out", str(target))
    assert again.exit_code == 2 and "not empty" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lab", "run", "99-nope"], "unknown lab '99-nope'"),
        (["break", "run", "42"], "phase must be a number from 00 to 41"),
        (["break", "run", "40"], "phase 40 has no runnable break"),
        (["phase", "show", "x"], "phase must be a number"),
        (["quiz", "00"], "no learner workspace yet"),
        (["journal", "-m", "hi"], "no learner workspace yet"),
        (["lab", "run", "00-env-check", "--seed", "-4"], "--seed"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lynx: error:") and message in lines[0], lines


# Break 00 run end to end (detection, results, manifest) is in test_hashseed_cli.py, as a real process started
# without PYTHONHASHSEED, the way a learner types it.


def test_phase_list_and_show() -> None:
    listing = run("phase", "list")
    assert listing.exit_code == 0
    assert len(listing.output.strip().splitlines()) == 43  # header + 42 phases
    assert listing.output.splitlines()[1].split()[:6] == [
        "00",
        "foundations",
        "yes",
        "yes",
        "1",
        "yes",
    ]
    shown = run("phase", "show", "0")
    assert "lynx lab run 00-env-check" in shown.output and "lynx quiz 00" in shown.output


def test_phase_check_writes_report(sandbox: Path) -> None:
    result = run("phase", "check", "00", "--skip-tests")
    assert result.exit_code == 0, result.output
    out = Path(result.output.strip().splitlines()[-1])
    report = (out / "report.md").read_text()
    assert report.startswith("# Phase 00 — Foundations: PASS")
    assert "| quiz | ok | 7 items valid |" in report


def test_quiz_is_graded_and_recorded(sandbox: Path) -> None:
    assert run("learner", "init", "ana").exit_code == 0
    answers = "\n".join(
        [
            "5",
            "2",
            "1,3,5",
            "seed, the git sha and library versions",
            "2",
            "2",
            "pythonhashseed",
            "2",
        ]
    )
    result = run("quiz", "00", input=answers + "\n")
    assert "choose numbers from 1 to 4" in result.output  # "5" was rejected and asked again
    assert "score: 7/7 (100%) — PASS" in result.output
    assert result.exit_code == 0
    progress = json.loads((sandbox / "learners" / "ana" / "progress.json").read_text())
    assert progress["phases"]["00"]["quiz"]["passed"] is True


def test_failing_quiz_exits_1(sandbox: Path) -> None:
    run("learner", "init", "ana")
    answers = "\n".join(["1", "2", "nothing", "1", "1", "HASH", "1"]) + "\n"
    result = run("quiz", "00", "--lang", "es", input=answers)
    assert result.exit_code == 1
    assert "FAIL" in result.output and "incorrecto" in result.output


def test_journal_appends(sandbox: Path) -> None:
    run("learner", "init", "ana")
    result = run("journal", "-m", "first entry", "--date", "2026-05-22")
    assert result.exit_code == 0
    assert "first entry" in Path(result.output.strip()).read_text()
    bad = run("journal", "--date", "22/05/2026", "-m", "x")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
