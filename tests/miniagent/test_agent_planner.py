"""The rule planner reproduces the tutor as it was before the agent; the model planner is valid by construction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from miniagent.agent.dispatch import RegistryDispatcher
from miniagent.agent.failures import ScriptedPlanner
from miniagent.agent.memory import Scratchpad
from miniagent.agent.model_planner import ModelPlanner, grounded
from miniagent.agent.planner import RulePlanner, TutorGoal, rule_plan
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.mcp.toolcall import example_instance
from miniagent.tools.registry import default_registry
from miniagent.tutor.evaluate import learner_rows
from miniagent.tutor.parse import Parse, parse
from miniagent.tutor.tutor import GrammarTutor

GOLDEN = Path(__file__).parent / "data" / "tutor_golden.json"
IN_SCOPE = [r["sentence"] for r in learner_rows("test") if r["in_scope"]]


def _answer(tutor: GrammarTutor, sentence: str) -> dict[str, Any]:
    got = tutor.correct(sentence).to_json()
    return {k: v for k, v in got.items() if k not in ("request_id", "duration_ms", "model_sha")}


@pytest.fixture(scope="module")
def tutor() -> GrammarTutor:
    return GrammarTutor()


def test_the_agent_tutor_answers_exactly_as_the_tutor_before_it(tutor: GrammarTutor) -> None:
    """52 answers (every 4th learner sentence, 12 corpus frames) recorded from the pre-agent tutor (c23075a)."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for want in golden:
        assert _answer(tutor, want["original"]) == want


@pytest.mark.parametrize("sentence", IN_SCOPE[:6])
def test_the_rule_planner_makes_the_plans_calls_in_order(
    tutor: GrammarTutor, sentence: str
) -> None:
    reading = parse(sentence)
    assert isinstance(reading, Parse)
    calls = [
        (s["tool"], s["arguments"]) for s in tutor.correct(sentence).trace if s["step"] == "tool"
    ]
    assert calls == [(c.tool, dict(c.arguments)) for c in rule_plan(reading)]


def test_a_decline_needs_no_tool(tutor: GrammarTutor) -> None:
    got = tutor.correct("They went home.")
    assert not got.in_scope and not [s for s in got.trace if s["step"] == "tool"]


def test_a_script_of_the_plan_gives_the_same_answer(tutor: GrammarTutor) -> None:
    sentence = "my brother eat pizza every day"
    reading = parse(sentence)
    assert isinstance(reading, Parse)
    scripted = GrammarTutor(planner=ScriptedPlanner({sentence: rule_plan(reading)}))
    assert _answer(scripted, sentence) == _answer(tutor, sentence)


def test_a_planner_that_skips_a_fact_gets_no_correction() -> None:
    sentence = "Yesterday she goed to the market."
    reading = parse(sentence)
    assert isinstance(reading, Parse)
    short = GrammarTutor(planner=ScriptedPlanner({sentence: rule_plan(reading)[:2]}))
    got = short.correct(sentence)
    assert got.in_scope and got.correction is None and got.was_correct is None
    assert "correct nothing" in got.explanation["en"] and got.cited_chunks == []


def test_the_rule_planner_skips_a_call_already_made() -> None:
    reading = parse("I has a book.")
    assert isinstance(reading, Parse)
    goal, pad = TutorGoal("I has a book.", reading), Scratchpad()
    dispatcher = RegistryDispatcher(default_registry())
    first = RulePlanner().next_step(goal, pad)
    assert isinstance(first, ToolCall)
    pad.append(first, dispatcher.call(first.tool, first.arguments))
    assert RulePlanner().next_step(goal, pad) == rule_plan(reading)[1]


@pytest.mark.parametrize("sentence", IN_SCOPE[:3])
def test_grounded_schemas_only_narrow_the_served_ones(sentence: str) -> None:
    reading = parse(sentence)
    assert isinstance(reading, Parse)
    for tool in default_registry():
        narrowed = grounded(tool.input_schema, reading)
        assert narrowed["required"] == tool.input_schema["required"]
        for name, prop in narrowed["properties"].items():
            served = Draft202012Validator(dict(tool.input_schema["properties"][name]))
            for value in prop.get("enum", []):  # every grounded value is one the tool accepts
                assert served.is_valid(value), (tool.name, name, value)
        instance = example_instance(narrowed) if tool.name != "lookup_rule" else None
        assert instance is None or Draft202012Validator(dict(tool.input_schema)).is_valid(instance)


@pytest.fixture(scope="module")
def model_planner() -> ModelPlanner:
    return ModelPlanner(RegistryDispatcher(default_registry()).tools())


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sentence=st.sampled_from(IN_SCOPE), done=st.integers(min_value=0, max_value=7))
def test_the_model_planner_always_writes_a_valid_call(
    model_planner: ModelPlanner, sentence: str, done: int
) -> None:
    reading = parse(sentence)
    assert isinstance(reading, Parse)
    goal, pad = TutorGoal(sentence, reading), Scratchpad()
    dispatcher = RegistryDispatcher(default_registry())
    for call in rule_plan(reading)[:done]:
        pad.append(call, dispatcher.call(call.tool, call.arguments))
    decision = model_planner.next_step(goal, pad)
    if isinstance(decision, FinalAnswer):
        assert json.loads(model_planner.last_text) == {"name": "final_answer", "arguments": {}}
        return
    tool = default_registry().get(decision.tool)
    assert tool is not None
    Draft202012Validator(dict(tool.input_schema)).validate(dict(decision.arguments))
    assert json.loads(model_planner.last_text) == {
        "name": decision.tool,
        "arguments": dict(decision.arguments),
    }


def test_the_model_planned_tutor_never_contradicts_the_table(model_planner: ModelPlanner) -> None:
    from miniagent.tutor.evaluate import contradicts_table, hallucinated

    model_tutor = GrammarTutor(planner=model_planner)
    for sentence in IN_SCOPE[:2]:
        got = model_tutor.correct(sentence)
        assert not contradicts_table(got) and not hallucinated(got)
        assert got.correction is None or got.correction == parse(sentence).correction  # type: ignore[union-attr]
