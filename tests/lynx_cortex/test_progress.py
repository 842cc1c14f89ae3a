"""Progress goes to stderr on a terminal and nowhere else (pipes, logs, CI and this test suite see nothing)."""

from __future__ import annotations

import functools
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lynx_cortex import progress, runner
from lynx_cortex.progress import activity, bar, track
from lynx_cortex.registry import LabContext


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a learner's shell is."""

    def isatty(self) -> bool:
        return True


def _stderr(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> io.StringIO:
    # Patched inside each test body: pytest re-installs its own capture between the setup and call phases.
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.delenv(progress.ENV, raising=False)
    return stream


def test_track_draws_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _stderr(monkeypatch, Terminal())
    assert list(track(range(5), desc="probes", unit="probe")) == [0, 1, 2, 3, 4]
    assert "probes" in terminal.getvalue() and "0/5" in terminal.getvalue()


def test_track_is_silent_on_a_pipe_and_yields_the_same_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipe = _stderr(monkeypatch, io.StringIO())
    items = iter(["a", "b"])  # not Sized: no total, no len() call
    assert list(track(items, desc="probes")) == ["a", "b"]
    assert pipe.getvalue() == ""


def test_quiet_and_the_environment_switch_turn_a_terminal_bar_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _stderr(monkeypatch, Terminal())
    with bar(total=3, desc="train", show=False) as silent:
        silent.update(3)
    assert terminal.getvalue() == ""
    monkeypatch.setenv(progress.ENV, "0")
    assert list(track(range(3), desc="probes")) == [0, 1, 2]
    assert terminal.getvalue() == ""


def test_activity_ticks_on_a_terminal_once_the_delay_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _stderr(monkeypatch, Terminal())
    threads = threading.active_count()
    with activity("18-first-run", delay=0.05, every=0.02):
        time.sleep(0.3)
    assert "18-first-run: 00:00" in terminal.getvalue()
    assert threading.active_count() == threads  # the ticker is gone


def test_activity_draws_nothing_for_quick_work_or_on_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _stderr(monkeypatch, Terminal())
    with activity("quick", delay=5.0):
        pass
    assert terminal.getvalue() == ""
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with activity("piped", delay=0.0, every=0.01):
        time.sleep(0.05)
    assert stream.getvalue() == ""


def test_every_lab_run_shows_its_name_while_it_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    terminal = _stderr(monkeypatch, Terminal())
    monkeypatch.setattr(runner, "activity", functools.partial(activity, delay=0.0, every=0.02))

    def slow(ctx: LabContext) -> dict[str, Any]:
        time.sleep(0.2)
        return {"ok": True}

    runner.execute("99-slow-demo", tmp_path / "run", 1, slow)
    assert "99-slow-demo: 00:00" in terminal.getvalue()
