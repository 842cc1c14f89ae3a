"""Phase 31 lab `31-mask-driven-toolcall` and break 31: tool calls from the shipped model, under the mask.

The lab builds one mask over every served tool (`miniagent.mcp.toolcall.call_grammar`), lets the shipped
grammar model write a call after each prompt (temperature 0.7, as the course specifies), checks each call
against its tool's `inputSchema` with jsonschema, and dispatches it to a real `python -m miniagent.mcp.server`
subprocess through our client. The model never saw a tool call in training, so *which* tool and *which*
values it picks is noise; that every call parses, validates and reaches the tool is the mask's guarantee.

Break 31 deletes `required` from the `add` tool's schema — the schema stays valid, so nothing complains. The
mask now also accepts `{"name":"add","arguments":{}}`, the model often stops there, and the server (whose
copy of the schema lost `required` too) passes the incomplete call to the function, which fails with a
`TypeError`: the client sees -32603 Internal error where the healthy setup could never reach the function
with a missing argument.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
from jsonschema import Draft202012Validator

from lynx_cortex.errors import LynxError
from lynx_cortex.labkit import settings
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from miniagent.mcp import jsonrpc
from miniagent.mcp.client import MCPClient
from miniagent.mcp.demo import ADD_SCHEMA, demo_registry
from miniagent.mcp.jsonrpc import ProtocolError
from miniagent.mcp.server import Server
from miniagent.mcp.toolcall import call_grammar, call_mask, generate_call, without_required
from miniagent.tools.base import Registry, Tool
from miniinfer.prompting import prompt_ids
from miniinfer.sampling import Temperature
from minimodel.data import load_tokenizer
from minimodel.shipped import load_shipped_model

TEMPERATURE = 0.7
MAX_NEW_TOKENS = 256  # room for the demo echo's 200-character string
PROMPTS = (
    "Add two and three.",
    "Repeat after me: she wrote a book.",
    "What is forty plus two?",
    "Say hello to the class.",
    "He eat an apple yesterday.",
    "Sum minus five and seven.",
    "Echo the word comió.",
    "They goes to school every day.",
)


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 3)


@lab(
    "31-mask-driven-toolcall",
    title="Mask-driven tool calls: the model writes them, the server runs them",
)
def mask_driven_toolcall(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"calls": 4}, "default": {"calls": 40}})
    tokenizer = load_tokenizer()
    model = load_shipped_model("grammar").model
    rows: list[dict[str, Any]] = []
    # the demo tools (add, echo): the tutor's tools take free strings from the learner's sentence that this
    # model, never trained on tool calls, cannot fill within a budget — the lab is about the mask, not them
    with MCPClient([sys.executable, "-m", "miniagent.mcp.server", "--demo"], timeout=30) as client:
        client.initialize()
        tools = client.list_tools()
        start = time.perf_counter()
        grammar = call_grammar(tools)
        mask = call_mask(grammar, tokenizer)
        mask_ms = _ms(time.perf_counter() - start)
        validators = {t["name"]: Draft202012Validator(t["inputSchema"]) for t in tools}
        for i in track(range(int(cfg["calls"])), desc="tool calls"):
            prompt = PROMPTS[i % len(PROMPTS)]
            start = time.perf_counter()
            try:
                generated = generate_call(
                    model,
                    mask,
                    prompt_ids(tokenizer, prompt),
                    strategy=Temperature(TEMPERATURE),
                    seed=ctx.seed + i,
                    max_new_tokens=MAX_NEW_TOKENS,
                )
            except LynxError as exc:  # an unbounded string schema can outrun any token budget
                rows.append({"prompt": prompt, "tool": None, "model_output": str(exc)})
                continue
            generation_s = time.perf_counter() - start
            start = time.perf_counter()
            try:
                outcome = client.call_tool(generated.name, generated.arguments)
                answer: dict[str, Any] = {"isError": outcome.is_error, "value": outcome.structured}
            except ProtocolError as exc:
                answer = {"protocol_error": exc.code, "message": exc.message}
            rows.append(
                {
                    "prompt": prompt,
                    "tool": generated.name,
                    "model_output": generated.text,
                    "valid": validators[generated.name].is_valid(generated.arguments),
                    "answer": answer,
                    "generation_ms": _ms(generation_s),
                    "dispatch_ms": _ms(time.perf_counter() - start),
                }
            )
    # a call that outran its token budget has no timings
    timed = [r for r in rows if r["tool"] is not None]
    return {
        "tools_masked": list(grammar.tools),
        "tools_skipped": grammar.skipped,
        "mask": {"dfa_states": grammar.dfa.n_states, "build_ms": mask_ms},
        "calls": len(rows),
        "valid_calls": sum(r.get("valid", False) for r in rows),
        "protocol_errors": sum("protocol_error" in r.get("answer", {}) for r in rows),
        "tool_refusals": sum(bool(r.get("answer", {}).get("isError")) for r in rows),
        "budget_exhausted": sum(r["tool"] is None for r in rows),
        "tools_chosen": dict(Counter(r["tool"] for r in rows if r["tool"] is not None)),
        "median_ms": {
            key: float(np.median([r[key] for r in timed])) if timed else None
            for key in ("generation_ms", "dispatch_ms")
        },
        "rows": rows,
    }


def _add_only(schema: Mapping[str, Any]) -> Registry:
    """The demo's `add` tool under `schema` (break 31 swaps in a copy without `required`)."""
    add = demo_registry().get("add")
    if add is None:  # pragma: no cover (the demo registry defines it)
        raise LookupError("the demo registry has no add tool")
    return Registry([Tool(add.name, add.description, schema, add.func)])


def tool_calls_under(schema: Mapping[str, Any], samples: int, seed: int) -> dict[str, Any]:
    """Generate `samples` calls to `add` under `schema` and dispatch them to a server that uses `schema` too."""
    registry = _add_only(schema)
    tokenizer = load_tokenizer()
    model = load_shipped_model("grammar").model
    mask = call_mask(call_grammar([t.descriptor() for t in registry]), tokenizer)
    server = Server(registry)
    codes: Counter[str] = Counter()
    incomplete: list[str] = []
    for i in track(range(samples), desc="add calls"):
        generated = generate_call(
            model,
            mask,
            prompt_ids(tokenizer, PROMPTS[i % len(PROMPTS)]),
            strategy=Temperature(TEMPERATURE),
            seed=seed + i,
        )
        if set(generated.arguments) != {"a", "b"}:
            incomplete.append(generated.text)
        reply = server.handle(
            jsonrpc.request(i, "tools/call", {"name": "add", "arguments": generated.arguments})
        )
        if reply is None:  # pragma: no cover (a request with an id always gets a reply)
            raise RuntimeError("the server did not answer a request")
        codes[str(reply["error"]["code"]) if "error" in reply else "ok"] += 1
    return {
        "samples": samples,
        "incomplete_calls": len(incomplete),
        "incomplete_examples": incomplete[:3],
        "replies": dict(sorted(codes.items())),
    }


@breaks(
    31,
    title="Tool schema without `required`",
    change="delete `required` from the add tool's input schema (mask and server both use the edited schema)",
)
def schema_without_required(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, {"smoke": {"samples": 12}, "default": {"samples": 60}})
    n = int(cfg["samples"])
    healthy = tool_calls_under(ADD_SCHEMA, n, ctx.seed)
    broken = tool_calls_under(without_required(ADD_SCHEMA), n, ctx.seed)
    internal = broken["replies"].get(str(jsonrpc.INTERNAL_ERROR), 0)
    return BreakOutcome(
        healthy={"schema": "required: [a, b]", **healthy},
        broken={"schema": "no required", **broken},
        symptom=(
            f"{broken['incomplete_calls']}/{n} generated calls lack an argument and {internal} reach the "
            f"function and fail with -32603, against {healthy['incomplete_calls']}/{n} with `required`"
        ),
        detected=broken["incomplete_calls"] > 0
        and internal > 0
        and healthy["incomplete_calls"] == 0,
    )


__all__ = ["PROMPTS", "mask_driven_toolcall", "schema_without_required", "tool_calls_under"]
