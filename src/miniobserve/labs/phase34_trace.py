"""Phase 34 lab `34-trace-a-request`: one tutor correction, every span from HTTP in to HTTP out.

The tutor app is instrumented (`instrument`) with an in-memory exporter; after a warm-up request (the first
one loads the model and the retriever, which would dominate the picture), one correction is traced. Its spans
— the server span, `tutor.correct`, parse, plan (the agent loop, with one `tool.*` span per call: the table's
`conjugate`, the model's `classify_sentence`, two `lookup_rule` retrievals…), verify, spanish and explain —
are printed as a tree with durations and written as JSON and a waterfall
PNG. The lab also joins the three signals: the response's `X-Trace-Id`, the spans' trace id and the trace id
on every log line of the request are one value.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.labkit import jsonable
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from miniagent.tutor.tutor import GrammarTutor
from miniobserve import Metrics, instrument, setup_tracing
from miniobserve.labs.tutorapp import LOGGER, ROUTE, tutor_app
from miniobserve.logging import configure_logging

SENTENCE = "Yesterday she goed to the market."


def span_rows(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    """The spans as a depth-first tree (children by start time), with offsets from the root's start."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
        by_parent.setdefault(parent, []).append(s)
    roots = by_parent.get(None, [])
    origin = min((s.start_time or 0) for s in spans) if spans else 0
    rows: list[dict[str, Any]] = []

    def walk(node: ReadableSpan, depth: int) -> None:
        start, end = node.start_time or 0, node.end_time or 0
        rows.append(
            {
                "name": node.name,
                "depth": depth,
                "span_id": format(node.context.span_id, "016x"),
                "parent_span_id": format(node.parent.span_id, "016x") if node.parent else None,
                "start_ms": (start - origin) / 1e6,
                "duration_ms": (end - start) / 1e6,
                "status": node.status.status_code.name,
                "attributes": dict(node.attributes or {}),
            }
        )
        for child in sorted(
            by_parent.get(node.context.span_id, []), key=lambda c: c.start_time or 0
        ):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda r: r.start_time or 0):
        walk(root, 0)
    return rows


def render_tree(rows: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(
        f"{'  ' * r['depth']}{r['name']:<{44 - 2 * r['depth']}} {r['duration_ms']:9.3f} ms"
        f"  (+{r['start_ms']:.3f})"
        for r in rows
    )


def waterfall(rows: Sequence[Mapping[str, Any]], path: Any) -> None:
    fig, ax = figure(width=9.0, height=0.35 * len(rows) + 1.5)
    for i, row in enumerate(rows):
        colour = "tab:red" if row["status"] == "ERROR" else f"C{min(row['depth'], 9)}"
        ax.barh(i, max(row["duration_ms"], 0.01), left=row["start_ms"], color=colour)
    ax.set_yticks(range(len(rows)), ["  " * r["depth"] + r["name"] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms since the request arrived")
    save_png(fig, path, title="One tutor correction, span by span")


@lab("34-trace-a-request", title="Trace one tutor correction from HTTP in to HTTP out")
def trace_a_request(ctx: LabContext) -> Mapping[str, Any]:
    tracing = setup_tracing("lynx-tutor", exporter="memory")
    logs = io.StringIO()
    try:
        app = tutor_app(GrammarTutor())
        instrument(
            app, metrics=Metrics(), tracing=tracing, logging=configure_logging(LOGGER, stream=logs)
        )
        with TestClient(app) as client:
            client.post(
                ROUTE, json={"sentence": "He eat an apple."}
            )  # warm-up: loads model and index
            if tracing.memory is not None:
                tracing.memory.clear()
            logs.seek(0)
            logs.truncate()
            response = client.post(ROUTE, json={"sentence": SENTENCE})
        spans = tracing.finished_spans()
    finally:
        tracing.shutdown()
    trace_id = response.headers["x-trace-id"]
    mine = [s for s in spans if format(s.context.trace_id, "032x") == trace_id]
    rows = span_rows(mine)
    tree = render_tree(rows)
    print(tree)
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    write_text_atomic(ctx.path("span-tree.txt"), tree + "\n")
    write_json_atomic(ctx.path("trace.json"), jsonable({"trace_id": trace_id, "spans": rows}))
    waterfall(rows, ctx.path("waterfall.png"))
    root = rows[0]
    stages = {r["name"]: r["duration_ms"] for r in rows if r["name"].startswith("tutor.")}
    ids = {s.context.span_id for s in mine}
    return {
        "sentence_chars": len(SENTENCE),
        "status": response.status_code,
        "correction": response.json()["correction"],
        "trace_id": trace_id,
        "spans": len(rows),
        "root": root["name"],
        "roots": sum(r["depth"] == 0 for r in rows),
        "orphans": sum(1 for s in mine if s.parent is not None and s.parent.span_id not in ids),
        "span_names": sorted({r["name"] for r in rows}),
        "tool_calls": [r["name"] for r in rows if r["name"].startswith("tool.")],
        "total_ms": root["duration_ms"],
        "stage_ms": stages,
        "slowest_stage": max(stages, key=lambda k: stages[k] if k != "tutor.correct" else -1.0),
        "children_inside_parents": _nested(rows),
        "log_lines": len(lines),
        "log_lines_with_this_trace": sum(line["trace_id"] == trace_id for line in lines),
        "request_id": response.headers["x-request-id"],
    }


def _nested(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Every span starts and ends within its parent (a small tolerance for clock rounding)."""
    by_id = {r["span_id"]: r for r in rows}
    eps = 1e-3
    for row in rows:
        parent = by_id.get(row["parent_span_id"] or "")
        if parent is None:
            continue
        if row["start_ms"] + eps < parent["start_ms"]:
            return False
        if row["start_ms"] + row["duration_ms"] > parent["start_ms"] + parent["duration_ms"] + eps:
            return False
    return True


__all__ = ["render_tree", "span_rows", "trace_a_request"]
