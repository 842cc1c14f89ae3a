"""The loop's guards with planners that misbehave on purpose: budget, duplicates, unknown tools, watchdog."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniagent.agent.dispatch import RegistryDispatcher
from miniagent.agent.failures import (
    EndlessPlanner,
    HallucinatingPlanner,
    IndecisivePlanner,
    LoopingPlanner,
    ScriptedPlanner,
)
from miniagent.agent.loop import MAX_STEPS, Watchdog, run_agent
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.mcp.demo import demo_registry


@pytest.fixture(scope="module")
def demo() -> RegistryDispatcher:
    return RegistryDispatcher(demo_registry())


def echo(text: str) -> ToolCall:
    return ToolCall("echo", {"text": text})


def test_the_budget_stops_a_planner_that_never_answers(demo: RegistryDispatcher) -> None:
    run = run_agent(EndlessPlanner(), demo, "goal")
    assert run.stopped == "budget" and len(run.pad.steps) == MAX_STEPS == 8
    assert run.trace[-1] == {"step": "stop", "stopped": "budget", "after_steps": 8}


def test_a_repeated_call_stops_the_run_and_is_recorded(demo: RegistryDispatcher) -> None:
    run = run_agent(LoopingPlanner(), RegistryDispatcher(demo_registry()), "goal")
    assert run.stopped == "duplicate" and len(run.pad.steps) == 1 and run.decisions == 2
    assert run.trace[-1]["step"] == "duplicate" and run.trace[-1]["tool"] == "conjugate"


def test_a_cycle_is_a_duplicate_too(demo: RegistryDispatcher) -> None:
    script = [echo("a"), echo("b"), ToolCall("echo", {"text": "a"}, "again, different thought")]
    run = run_agent(ScriptedPlanner({"g": script}), demo, "g")
    assert run.stopped == "duplicate" and [s.call.arguments["text"] for s in run.pad.steps] == [
        "a",
        "b",
    ]


def test_argument_order_does_not_hide_a_duplicate(demo: RegistryDispatcher) -> None:
    script = [ToolCall("add", {"a": 1, "b": 2}), ToolCall("add", {"b": 2, "a": 1})]
    assert run_agent(ScriptedPlanner({"g": script}), demo, "g").stopped == "duplicate"


def test_an_unknown_tool_is_an_observation_not_a_crash(demo: RegistryDispatcher) -> None:
    run = run_agent(HallucinatingPlanner(), demo, "goal")
    assert run.stopped == "final" and len(run.pad.steps) == 1
    refusal = run.pad.steps[0].observation
    assert not refusal.ok and refusal.error_code == "unknown_tool"
    assert "unknown_tool" in run.trace[-1]["thought"]


def test_indecision_uses_the_whole_budget_with_distinct_calls(demo: RegistryDispatcher) -> None:
    from miniagent.tools.registry import default_registry

    run = run_agent(IndecisivePlanner(), RegistryDispatcher(default_registry()), "goal")
    assert run.stopped == "budget" and len({s.call.key for s in run.pad.steps}) == MAX_STEPS


def test_without_a_budget_only_the_watchdog_stops_it(demo: RegistryDispatcher) -> None:
    with Watchdog(0.2) as dog:
        run = run_agent(
            EndlessPlanner(), demo, "goal", max_steps=None, detect_duplicates=False, watchdog=dog
        )
    assert dog.fired and run.stopped == "watchdog" and len(run.pad.steps) > MAX_STEPS


def test_each_run_has_its_own_scratchpad(demo: RegistryDispatcher) -> None:
    planner = ScriptedPlanner({"a": [echo("first")], "b": [echo("second")]})
    one, two = run_agent(planner, demo, "a"), run_agent(planner, demo, "b")
    assert [s.call.arguments for s in one.pad.steps] == [{"text": "first"}]
    assert [s.call.arguments for s in two.pad.steps] == [{"text": "second"}]


def test_a_goal_without_a_script_is_an_error(demo: RegistryDispatcher) -> None:
    with pytest.raises(KeyError, match="no script"):
        run_agent(ScriptedPlanner({}), demo, "missing")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(echo, st.sampled_from("abcdefghij")),
            st.just(FinalAnswer("done")),
        ),
        max_size=14,
    )
)
def test_any_script_ends_within_the_guards(script: list[ToolCall | FinalAnswer]) -> None:
    run = run_agent(ScriptedPlanner({"g": script}), RegistryDispatcher(demo_registry()), "g")
    keys = [s.call.key for s in run.pad.steps]
    assert len(keys) <= MAX_STEPS and len(set(keys)) == len(keys)
    assert run.decisions <= MAX_STEPS + 1
    expected: list[ToolCall] = []  # replay the guards by hand: the oracle
    for decision in [*script, FinalAnswer("the script is over")]:
        if len(expected) == MAX_STEPS:
            stop = "budget"
            break
        if isinstance(decision, FinalAnswer):
            stop = "final"
            break
        if decision.key in {d.key for d in expected}:
            stop = "duplicate"
            break
        expected.append(decision)
    assert [s.call for s in run.pad.steps] == expected and run.stopped == stop
