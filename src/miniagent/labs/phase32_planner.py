"""Phase 32 lab `32-planner-by-mask`: the shipped model as the tutor's planner, against the rule plan.

Two measurements on the learner test sentences that are in scope. *Step agreement*, teacher-forced: replay
the rule plan, and before each of its decisions ask the model (under the grounded call mask) what it would do
next with the same scratchpad; count the decisions that equal the rule planner's (same tool, same canonical
arguments; answering when the plan answers). *End to end*: let the model plan whole runs and score the
tutor's answers like the evaluation does. Every model call is also checked against the served tool's
`inputSchema` with jsonschema: the mask's guarantee, measured.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from lynx_cortex.labkit import settings
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from miniagent.agent.memory import Scratchpad
from miniagent.agent.model_planner import ModelPlanner
from miniagent.agent.planner import RulePlanner, TutorGoal
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.tutor.evaluate import evaluate, learner_rows, rate
from miniagent.tutor.parse import parse
from miniagent.tutor.tutor import GrammarTutor


def _same(a: ToolCall | FinalAnswer, b: ToolCall | FinalAnswer) -> bool:
    if isinstance(a, FinalAnswer) or isinstance(b, FinalAnswer):
        return isinstance(a, FinalAnswer) and isinstance(b, FinalAnswer)
    return a.key == b.key


def step_agreement(
    rule_tutor: GrammarTutor, planner: ModelPlanner, sentence: str
) -> list[dict[str, Any]]:
    """The model's decision before each of the rule plan's, on the rule plan's own scratchpad."""
    reading = parse(sentence)
    goal = TutorGoal(sentence, reading)
    rule, pad, rows = RulePlanner(), Scratchpad(), []
    while True:
        want = rule.next_step(goal, pad)
        got = planner.next_step(goal, pad)
        rows.append(
            {
                "position": len(pad.steps) + 1,
                "rule": want.to_json(),
                "model": got.to_json(),
                "model_text": planner.last_text,
                "agree": _same(want, got),
                "same_tool": want.to_json()["tool"] == got.to_json()["tool"],
            }
        )
        if isinstance(want, FinalAnswer):
            return rows
        pad.append(want, rule_tutor.dispatcher.call(want.tool, want.arguments))


@lab("32-planner-by-mask", title="The model as planner: valid by construction, right by chance?")
def planner_by_mask(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {"smoke": {"sentences": 1}, "default": {"sentences": 16}, "full": {"sentences": 85}},
    )
    rows = [r for r in learner_rows("test") if r["in_scope"]][: int(cfg["sentences"])]
    rule_tutor = GrammarTutor()
    tools = rule_tutor.dispatcher.tools()
    planner = ModelPlanner(tools)
    validators = {t["name"]: Draft202012Validator(t["inputSchema"]) for t in tools}
    steps: list[dict[str, Any]] = []
    start = time.perf_counter()
    for row in track(rows, desc="teacher-forced steps"):
        steps.extend(step_agreement(rule_tutor, planner, row["sentence"]))
    forced_s = time.perf_counter() - start
    calls = [s["model"] for s in steps if s["model"]["tool"] in validators]
    valid = sum(validators[c["tool"]].is_valid(c["arguments"]) for c in calls)
    by_position: dict[int, list[bool]] = {}
    for s in steps:
        by_position.setdefault(s["position"], []).append(s["agree"])
    model_tutor = GrammarTutor(planner=planner)
    model_e2e = evaluate(model_tutor, rows, "model planner")
    rule_e2e = evaluate(rule_tutor, rows, "rule planner")
    stops = Counter(
        next(
            s["stopped"]
            for s in reversed(model_tutor.correct(r["sentence"]).trace)
            if "stopped" in s
        )
        for r in rows
    )
    results = {
        "sentences": len(rows),
        "model_decisions": len(steps),
        "model_tool_calls": len(calls),
        "schema_valid_calls": valid,
        "step_agreement": rate(sum(s["agree"] for s in steps), len(steps)),
        "tool_agreement": rate(sum(s["same_tool"] for s in steps), len(steps)),
        "agreement_by_position": {
            str(p): rate(sum(v), len(v)) for p, v in sorted(by_position.items())
        },
        "tools_chosen": dict(Counter(s["model"]["tool"] for s in steps)),
        "end_to_end": {
            "rule_planner": rule_e2e["end_to_end"],
            "model_planner": model_e2e["end_to_end"],
            "model_planner_contradictions": model_e2e["contradictions"],
            "model_planner_stops": dict(stops),
        },
        "seconds_per_model_decision": round(forced_s / max(len(steps), 1), 3),
        "examples": steps[:16],
    }
    ctx.path("REPORT.md").write_text(_report(results), encoding="utf-8")
    return results


def _report(res: Mapping[str, Any]) -> str:
    agree, e2e = res["step_agreement"], res["end_to_end"]
    return "\n".join(
        [
            "# 32-planner-by-mask",
            "",
            f"- {res['schema_valid_calls']}/{res['model_tool_calls']} model tool calls valid against the "
            "served schema (the mask's guarantee).",
            f"- step agreement with the rule plan: {agree['correct']}/{agree['n']} "
            f"(Wilson 95 % {agree['wilson95']}); the same tool, arguments aside: "
            f"{res['tool_agreement']['correct']}/{res['tool_agreement']['n']}.",
            f"- end to end, rule planner: {e2e['rule_planner']['correct']}/{e2e['rule_planner']['n']}; "
            f"model planner: {e2e['model_planner']['correct']}/{e2e['model_planner']['n']} "
            f"(Wilson 95 % {e2e['model_planner']['wilson95']}), "
            f"{e2e['model_planner_contradictions']} contradictions; stops {e2e['model_planner_stops']}.",
            "",
        ]
    )


__all__ = ["planner_by_mask", "step_agreement"]
