"""Start-up guards (schema revision, quizzes) and the load lab on a tiny class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.quiz import load_quiz
from lynx_cortex.runner import run_lab
from miniportal.app import create_app
from miniportal.db import make_engine
from miniportal.service import Portal
from miniportal.settings import PortalSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_refuses_an_unmigrated_database(settings: PortalSettings, tmp_path: Path) -> None:
    portal = Portal.build(settings, engine=make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(LynxError, match="lynx portal migrate"):
        create_app(settings, portal=portal)


def test_the_app_loads_the_quizzes_that_exist(portal: Portal) -> None:
    app = create_app(portal.settings, portal=portal)
    on_disk = sorted(int(p.name[6:8]) for p in (ROOT / "data" / "quizzes").glob("phase-*.yaml"))
    assert sorted(app.state.quizzes) == on_disk
    assert 41 in app.state.quizzes


def test_a_malformed_quiz_stops_the_portal_naming_the_file(portal: Portal, tmp_path: Path) -> None:
    (tmp_path / "phase-07-scalar-autograd.yaml").write_text("phase: 7\nitems: [}", encoding="utf-8")
    with pytest.raises(LynxError, match="phase-07-scalar-autograd.yaml"):
        create_app(portal.settings.with_(quizzes_dir=tmp_path), portal=portal)


def test_phase_41_quiz_loads_with_enough_items() -> None:
    quiz = load_quiz(ROOT / "data" / "quizzes" / "phase-41-learner-portal.yaml")
    assert quiz.phase == 41 and len(quiz.items) >= 5


def test_load_lab_on_a_small_class_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LYNX_LOAD_USERS", "2")
    # three seconds: a learner writes a note every fifth page, and on a busy machine one second held fewer
    monkeypatch.setenv("LYNX_LOAD_SECONDS", "3")
    monkeypatch.setenv("LYNX_LOAD_THINK_MS", "20")
    record = run_lab("41-portal-load", out=tmp_path / "run")
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    assert results == json.loads(json.dumps(record.results))
    assert results["errors"] == 0, results["error_samples"]
    assert results["notes_written"] > 0
    assert results["notes_read_back"] == results["notes_written"] and results["lost_writes"] == 0
    assert results["routes"]["login"]["count"] == 2
    # every login runs one production Argon2 verify: it cannot be much faster than one measured alone
    assert results["routes"]["login"]["p50_ms"] > 0.3 * results["argon2_verify_ms"] > 0
    page = results["routes"]["page"]
    assert page["count"] > 5 and 0 < page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"]
    assert (tmp_path / "run" / "latency.png").stat().st_size > 10_000
