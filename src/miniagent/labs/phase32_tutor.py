"""Phase 32 lab `32-tutor-end-to-end`: the tutor as an agent, on the learner set, in process and over MCP.

The rule planner drives every correction; the lab scores the answers (the evaluation's own scoring), counts
how many tool calls each took and why each run stopped, writes three transcripts (an error, a correct
sentence, a decline), then runs a few sentences again with the tools behind a real `python -m
miniagent.mcp.server` subprocess and checks the answers are the same — the dispatcher is a transport, not a
decision. Each correction is also counted in a learner memory file kept in the run folder.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from miniagent.agent import longterm
from miniagent.agent.dispatch import MCPDispatcher
from miniagent.mcp.client import MCPClient
from miniagent.tutor.evaluate import learner_rows, run_tutor, score
from miniagent.tutor.tutor import Correction, GrammarTutor

TRANSCRIPTS = (
    "Yesterday she goed to the market.",
    "I like football.",
    "They went home.",
)


def tool_calls(got: Correction) -> int:
    return sum(s["step"] == "tool" for s in got.trace)


def stopped(got: Correction) -> str:
    return next(str(s["stopped"]) for s in got.trace if "stopped" in s)


def _answer(got: Correction) -> dict[str, Any]:
    """What must not depend on the transport: the §9 object without its id and timing."""
    out = got.to_json()
    return {k: v for k, v in out.items() if k not in ("request_id", "duration_ms")}


@lab(
    "32-tutor-end-to-end",
    title="The tutor as a ReAct agent: steps, stops, and the same answers over MCP",
)
def tutor_end_to_end(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"rows": 12, "mcp": 2}, "default": {"rows": 159, "mcp": 8}})
    rows = learner_rows()[: int(cfg["rows"])]
    tutor = GrammarTutor()
    outputs = run_tutor(tutor, rows, "agent")
    scored = score(rows, outputs, "learners")
    memory_path = ctx.path(longterm.MEMORY_FILE)
    for got in outputs:
        longterm.record(memory_path, "lab", got)
    calls = [tool_calls(g) for g in outputs if g.in_scope]
    hist = Counter(tool_calls(g) for g in outputs)
    fig, ax = figure()
    ax.bar([str(k) for k in sorted(hist)], [hist[k] for k in sorted(hist)])
    ax.set_xlabel("tool calls per correction")
    ax.set_ylabel("sentences")
    save_png(fig, ctx.path("steps_histogram.png"), title="Tool calls per correction (rule planner)")
    transcripts = [{"sentence": s, "trace": tutor.correct(s).trace} for s in TRANSCRIPTS]
    ctx.path("transcripts.json").write_text(
        json.dumps(transcripts, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    sample = [r["sentence"] for r in rows[: int(cfg["mcp"])]]
    local = [tutor.correct(s) for s in sample]
    with MCPClient([sys.executable, "-m", "miniagent.mcp.server"], timeout=60) as client:
        client.initialize()
        remote_tutor = GrammarTutor(dispatcher=MCPDispatcher(client))
        remote_tutor.correct(TRANSCRIPTS[0])  # warm the server's model and index
        remote = [remote_tutor.correct(s) for s in track(sample, desc="over MCP")]
    memory = longterm.load(memory_path, "lab")
    results = {
        "sentences": len(rows),
        "end_to_end": scored["end_to_end"],
        "declines": scored["declines"],
        "contradictions": scored["contradictions"],
        "hallucinated_citations": scored["hallucinated_citations"],
        "latency_ms": scored["latency_ms"],
        "tool_calls_in_scope": {
            "mean": round(statistics.mean(calls), 2) if calls else None,
            "max": max(calls, default=0),
        },
        "tool_calls_histogram": {str(k): hist[k] for k in sorted(hist)},
        "stops": dict(Counter(stopped(g) for g in outputs)),
        "mcp": {
            "sentences": len(sample),
            "same_answers": sum(
                _answer(a) == _answer(b) for a, b in zip(local, remote, strict=True)
            ),
            "median_ms_in_process": round(statistics.median(g.duration_ms for g in local), 2),
            "median_ms_over_mcp": round(statistics.median(g.duration_ms for g in remote), 2),
        },
        "memory": {
            "corrections": memory["corrections"],
            "errors": {k: v["count"] for k, v in sorted(memory["errors"].items())},
            "bytes": memory_path.stat().st_size,
        },
        "failures": scored["failures"],
    }
    ctx.path("REPORT.md").write_text(_report(results), encoding="utf-8")
    return results


def _report(res: Mapping[str, Any]) -> str:
    e2e, mcp = res["end_to_end"], res["mcp"]
    return "\n".join(
        [
            "# 32-tutor-end-to-end",
            "",
            f"- {e2e['correct']}/{e2e['n']} right end to end (Wilson 95 % {e2e['wilson95']}), "
            f"{res['contradictions']} contradictions, {res['hallucinated_citations']} hallucinated citations.",
            f"- tool calls per in-scope correction: mean {res['tool_calls_in_scope']['mean']}, "
            f"max {res['tool_calls_in_scope']['max']} (budget 8); stops {res['stops']}.",
            f"- over MCP: {mcp['same_answers']}/{mcp['sentences']} identical answers; median "
            f"{mcp['median_ms_in_process']} ms in process vs {mcp['median_ms_over_mcp']} ms over the pipe "
            "(a busy shared machine: noisy).",
            f"- learner memory: {res['memory']['bytes']} bytes after {res['memory']['corrections']} corrections.",
            "",
        ]
    )


__all__ = ["TRANSCRIPTS", "tutor_end_to_end"]
