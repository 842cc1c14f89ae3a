"""Phase 32's guards: `32-sandbox-evil-tool`, `32-failure-tour` and break 32 (a loop without a budget).

`32-sandbox-evil-tool` runs five hostile functions (`miniagent.agent.evil_tools`) and a well-behaved control
under the sandbox and records, per tool, the structured code it got back, the time to stop it and that the
parent lived on (`containment.csv`); then it puts the CPU eater behind a registered tool and lets an agent
call it, to show the loop reads the refusal and answers instead of crashing.

`32-failure-tour` drives the loop with four planners that fail on purpose (one repeats itself, one never
decides, one names a tool that does not exist, and the tutor twice in a row for the scratchpad leak) and
records how each run ended.

Break 32 removes the step budget (and the duplicate check) from the loop and gives it a planner that never
repeats and never answers: it runs until the watchdog fires, where the healthy loop stops after 8 calls.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from miniagent.agent.dispatch import RegistryDispatcher
from miniagent.agent.evil_tools import EVIL
from miniagent.agent.failures import (
    EndlessPlanner,
    HallucinatingPlanner,
    IndecisivePlanner,
    LoopingPlanner,
    ScriptedPlanner,
)
from miniagent.agent.loop import MAX_STEPS, AgentRun, Watchdog, run_agent
from miniagent.agent.memory import Scratchpad
from miniagent.agent.sandbox import Limits, run_sandboxed, sandboxed_tool
from miniagent.agent.types import FinalAnswer, ToolCall
from miniagent.mcp.demo import demo_registry
from miniagent.tools.base import Registry
from miniagent.tools.registry import default_registry
from miniagent.tutor.tutor import GrammarTutor

EVIL_MODULE = "miniagent.agent.evil_tools"


def _summary(run: AgentRun) -> dict[str, Any]:
    return {
        "stopped": run.stopped,
        "tool_calls": len(run.pad.steps),
        "decisions": run.decisions,
        "refusals": [s.observation.error_code for s in run.pad.steps if not s.observation.ok],
        "last": run.trace[-1] if run.trace else None,
    }


class _CallThenRead(HallucinatingPlanner):
    """Calls the sandboxed tool once, then answers with the refusal it read."""

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        if not pad.steps:
            return ToolCall("crunch", {}, "let the tool compute")
        return super().next_step(goal, pad)


@lab(
    "32-sandbox-evil-tool", title="Sandboxing an evil tool: every escape ends in a structured error"
)
def sandbox_evil_tool(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"cpu_s": 1, "memory_mb": 256, "wall_s": 1.0},
            "default": {"cpu_s": 1, "memory_mb": 256, "wall_s": 2.0},
        },
    )
    limits = Limits(
        cpu_s=int(cfg["cpu_s"]), memory_mb=int(cfg["memory_mb"]), wall_s=float(cfg["wall_s"])
    )
    parent = os.getpid()
    rows: list[dict[str, Any]] = []
    for label, (func, arguments) in {**EVIL, "control": ("scribble", {})}.items():
        start = time.perf_counter()
        got = run_sandboxed(f"{EVIL_MODULE}:{func}", arguments, limits)
        rows.append(
            {
                "tool": label,
                "code": "ok" if got.ok else got.error_code,
                "message": got.error or "",
                "seconds": round(time.perf_counter() - start, 3),
                "parent_alive": os.getpid() == parent,
            }
        )
    with ctx.path("containment.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    registry = Registry(
        [
            sandboxed_tool(
                "crunch",
                "A tool that computes (forever, as it happens).",
                {"type": "object", "properties": {}, "additionalProperties": False},
                f"{EVIL_MODULE}:spin",
                limits,
            )
        ]
    )
    closed_loop = run_agent(
        _CallThenRead(),
        RegistryDispatcher(registry),
        "crunch, please",
    )
    results = {
        "limits": cfg,
        "containment": rows,
        "contained": all(r["code"] != "ok" for r in rows if r["tool"] != "control"),
        "control_ok": rows[-1]["code"] == "ok",
        "closed_loop": _summary(closed_loop),
    }
    ctx.path("REPORT.md").write_text(
        "# 32-sandbox-evil-tool\n\n"
        + "\n".join(f"- {r['tool']}: {r['code']} after {r['seconds']} s" for r in rows)
        + f"\n- agent calling the CPU eater: stopped `{closed_loop.stopped}` with refusals "
        f"{results['closed_loop']['refusals']}\n",
        encoding="utf-8",
    )
    return results


@lab("32-failure-tour", title="Four ways a planner fails, and the guard that catches each")
def failure_tour(ctx: LabContext) -> Mapping[str, Any]:
    dispatcher = RegistryDispatcher(default_registry())
    looping = run_agent(LoopingPlanner(), dispatcher, "loop")
    indecisive = run_agent(IndecisivePlanner(), dispatcher, "dither")
    hallucinating = run_agent(HallucinatingPlanner(), dispatcher, "imagine")
    tutor = GrammarTutor()
    first = tutor.correct("Yesterday she goed to the market.")
    second = tutor.correct("I has a book.")
    second_verbs = {s["arguments"].get("verb") for s in second.trace if s["step"] == "tool"} - {
        None
    }
    scripted = ScriptedPlanner(
        {"script": [ToolCall("lookup_irregular_verb", {"verb": "go"}, "the one fact needed")]}
    )
    results: dict[str, Any] = {
        "looping": _summary(looping),
        "indecisive": _summary(indecisive),
        "hallucinating": _summary(hallucinating),
        "scripted": _summary(run_agent(scripted, dispatcher, "script")),
        "scratchpad_leak": {
            "first_tool_calls": sum(s["step"] == "tool" for s in first.trace),
            "second_verbs": sorted(second_verbs),
            "leaked": bool(second_verbs - {"have"}),
        },
        "budget": MAX_STEPS,
    }
    ctx.path("REPORT.md").write_text(
        "# 32-failure-tour\n\n"
        + "\n".join(
            f"- {name}: stopped `{r['stopped']}` after {r['tool_calls']} tool calls"
            for name, r in results.items()
            if isinstance(r, dict) and "stopped" in r
        )
        + f"\n- scratchpad leak: {results['scratchpad_leak']['leaked']}\n",
        encoding="utf-8",
    )
    return results


@breaks(
    32,
    title="An agent loop without a step budget",
    change="run the loop with max_steps=None and no duplicate check; a planner that never answers",
)
def loop_without_budget(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, {"smoke": {"watchdog_s": 0.5}, "default": {"watchdog_s": 2.0}})
    dispatcher = RegistryDispatcher(demo_registry())
    with Watchdog(float(cfg["watchdog_s"])) as dog:
        healthy = run_agent(EndlessPlanner(), dispatcher, "x", watchdog=dog)
    with Watchdog(float(cfg["watchdog_s"])) as dog:
        broken = run_agent(
            EndlessPlanner(),
            dispatcher,
            "x",
            max_steps=None,
            detect_duplicates=False,
            watchdog=dog,
        )
    return BreakOutcome(
        healthy={"max_steps": MAX_STEPS, **_summary(healthy)},
        broken={"max_steps": None, **_summary(broken)},
        symptom=(
            f"without a budget the loop made {len(broken.pad.steps)} tool calls in "
            f"{cfg['watchdog_s']} s and stopped only when the watchdog fired; with it, "
            f"{len(healthy.pad.steps)} calls and `{healthy.stopped}`"
        ),
        detected=broken.stopped == "watchdog" and healthy.stopped == "budget",
    )


__all__ = ["failure_tour", "loop_without_budget", "sandbox_evil_tool"]
