"""The sandbox against tools that misbehave: every case is a structured error and the parent lives on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from miniagent.agent.dispatch import RegistryDispatcher
from miniagent.agent.failures import ScriptedPlanner
from miniagent.agent.loop import run_agent
from miniagent.agent.sandbox import Limits, run_sandboxed, sandboxed_tool
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.tools.base import Registry

EVIL = "miniagent.agent.evil_tools"
FAST = Limits(cpu_s=1, memory_mb=256, wall_s=5.0)


def test_a_well_behaved_tool_works_in_its_folder() -> None:
    got = run_sandboxed(f"{EVIL}:scribble", {"text": "hola"}, FAST)
    assert got.ok and got.value == {"read_back": "hola"}


def test_an_infinite_loop_is_killed_at_the_cpu_limit() -> None:
    got = run_sandboxed(f"{EVIL}:spin", {}, FAST)
    assert (got.ok, got.error_code) == (False, "cpu_limit")


def test_two_gigabytes_are_refused() -> None:
    got = run_sandboxed(f"{EVIL}:hog", {"megabytes": 2048}, FAST)
    assert (got.ok, got.error_code) == (False, "memory_limit")


@pytest.mark.parametrize("path", ["/tmp/../etc/lynx-sandbox-x", "../outside.txt", "/tmp/lynx-x"])
def test_writing_outside_the_work_folder_is_refused(path: str) -> None:
    got = run_sandboxed(f"{EVIL}:escape", {"path": path}, FAST)
    assert (got.ok, got.error_code) == (False, "refused") and "outside" in got.error
    assert not Path("/etc/lynx-sandbox-x").exists() and not Path("/tmp/lynx-x").exists()


def test_a_socket_is_refused() -> None:
    got = run_sandboxed(f"{EVIL}:dial", {}, FAST)
    assert (got.ok, got.error_code) == (False, "refused") and "socket" in got.error


def test_a_sleeper_is_stopped_by_the_wall_clock() -> None:
    got = run_sandboxed(f"{EVIL}:nap", {"seconds": 60}, Limits(wall_s=0.5))
    assert (got.ok, got.error_code) == (False, "timeout")


def test_a_tool_that_raises_or_does_not_exist_is_reported() -> None:
    raised = run_sandboxed(f"{EVIL}:hog", {"megabytes": -1}, FAST)
    assert (raised.ok, raised.error_code) == (False, "tool_failed") and "ValueError" in raised.error
    missing = run_sandboxed("no_such_module_here:f", {}, FAST)
    assert (missing.ok, missing.error_code) == (False, "tool_failed")


def test_the_child_does_not_inherit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_SECRET_FOR_TEST", "s3cret")
    got = run_sandboxed("os:getenv", {"key": "LYNX_SECRET_FOR_TEST"}, FAST)
    assert got.ok and got.value == {"value": None}


def test_an_agent_reads_a_sandboxed_refusal_and_answers() -> None:
    tool = sandboxed_tool(
        "crunch",
        "computes forever",
        {"type": "object", "properties": {}, "additionalProperties": False},
        f"{EVIL}:spin",
        FAST,
    )
    planner = ScriptedPlanner({"g": [ToolCall("crunch", {}), FinalAnswer("gave up")]})
    run = run_agent(planner, RegistryDispatcher(Registry([tool])), "g")
    assert run.stopped == "final" and run.pad.steps[0].observation.error_code == "cpu_limit"
    assert os.getpid() > 0  # still here
