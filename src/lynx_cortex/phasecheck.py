"""`lynx phase check NN`: is a phase done? Its tests, labs, break, docs and quiz, in one report.

The report is a run like any other (manifest included), so a check made on one machine can be compared with
one made on another with `lynx manifest diff`.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import experiments_dir, project_root
from lynx_cortex.phases import Phase
from lynx_cortex.quiz import load_quiz
from lynx_cortex.registry import LabContext, all_breaks, all_labs
from lynx_cortex.runner import RunRecord, execute, run_break, run_lab, target_dir


@dataclass(frozen=True)
class CheckItem:
    name: str
    ok: bool
    detail: str


def _check_docs(phase: Phase) -> CheckItem:
    path = phase.docs_path
    if not path.is_file():
        return CheckItem("docs", False, f"missing {path}")
    return CheckItem("docs", True, str(path.relative_to(project_root())))


def _check_quiz(phase: Phase) -> CheckItem:
    try:
        quiz = load_quiz(phase.quiz_path)
    except LynxError as exc:
        return CheckItem("quiz", False, str(exc))
    return CheckItem("quiz", True, f"{len(quiz.items)} items valid")


def _check_tests(phase: Phase) -> CheckItem:
    root = project_root()
    paths = [p for p in phase.test_paths if (root / p).exists()]
    if not paths:
        return CheckItem("tests", False, f"no tests found in {', '.join(phase.test_paths)}")
    proc = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    tail = (proc.stdout.strip().splitlines() or ["no output"])[-1]
    return CheckItem("tests", proc.returncode == 0, f"pytest {' '.join(paths)}: {tail}")


def _check_labs(phase: Phase) -> list[CheckItem]:
    items = []
    for spec in (lab for lab in all_labs() if lab.phase == phase.number):
        try:
            record = run_lab(spec.id)
        except Exception as exc:  # a crashing lab is exactly what the report must show
            items.append(CheckItem(f"lab {spec.id}", False, f"{type(exc).__name__}: {exc}"))
        else:
            items.append(CheckItem(f"lab {spec.id}", True, str(record.out_dir)))
    return items


def _check_break(phase: Phase) -> CheckItem:
    if phase.number not in {b.phase for b in all_breaks()}:
        return CheckItem("break", False, "no runnable break registered")
    record = run_break(phase.number)
    return CheckItem("break", record.outcome.detected, record.outcome.symptom)


def render_report(phase: Phase, items: list[CheckItem]) -> str:
    passed = all(item.ok for item in items)
    lines = [
        f"# Phase {phase.code} — {phase.title_en}: {'PASS' if passed else 'FAIL'}",
        "",
        "| check | result | detail |",
        "|---|---|---|",
    ]
    lines += [
        f"| {i.name} | {'ok' if i.ok else 'FAIL'} | {i.detail.replace('|', '/')} |" for i in items
    ]
    return "\n".join(lines) + "\n"


def check_phase(
    phase: Phase, *, run_tests: bool = True, out: Path | None = None
) -> tuple[RunRecord, bool]:
    def body(ctx: LabContext) -> dict[str, Any]:
        items = [_check_docs(phase), _check_quiz(phase)]
        if run_tests:
            items.append(_check_tests(phase))
        items += _check_labs(phase)
        items.append(_check_break(phase))
        ctx.config.update({"phase": phase.number, "run_tests": run_tests})
        ctx.path("report.md").write_text(render_report(phase, items), encoding="utf-8")
        return {
            "phase": phase.number,
            "passed": all(i.ok for i in items),
            "checks": [asdict(i) for i in items],
        }

    target = target_dir(out, experiments_dir() / f"phase-check-{phase.code}")
    record = execute(f"phase-check-{phase.code}", target, 42, body, extra={"kind": "phase-check"})
    return record, bool(record.results["passed"])
