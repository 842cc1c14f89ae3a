"""Phase 31 labs `31-typed-tools` and `31-mcp-roundtrip`: what a tool is, and what travels on the pipe.

`31-typed-tools` takes every served tool (the tutor's, or the demo's when those are not installed) and shows
its contract at work in process: the schema checks as Draft 2020-12, whether the phase-30 mask can compile it,
its shortest valid call (found by walking the schema's DFA, no model needed) and what two off-schema calls
get back — a structured `invalid_arguments` refusal, never an exception.

`31-mcp-roundtrip` runs the same tools behind `python -m miniagent.mcp.server` in a real subprocess, drives it
with our client and records every frame in both directions (`transcript.txt`, byte for byte): the handshake,
the tool list, a good call per tool, an unknown tool, an off-schema call and a malformed line, each with the
answer the protocol prescribes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from lynx_cortex.registry import LabContext, lab
from miniagent.mcp.client import MCPClient
from miniagent.mcp.jsonrpc import ProtocolError
from miniagent.mcp.registries import served_registry
from miniagent.mcp.toolcall import example_instance
from miniagent.tools.base import Registry, call
from ministruct.dfa import compile_regex
from ministruct.schema import SchemaError, to_regex

OFF_SCHEMA = {"empty": {}, "extra_key": {"not_an_argument": 1}}


def _examples(registry: Registry) -> dict[str, Any]:
    """Each tool's shortest valid arguments, or None when its schema is outside the mask's subset."""
    out: dict[str, Any] = {}
    for tool in registry:
        try:
            out[tool.name] = example_instance(tool.input_schema)
        except SchemaError:
            out[tool.name] = None
    return out


@lab("31-typed-tools", title="Typed tools: a schema, a function, a structured refusal")
def typed_tools(ctx: LabContext) -> Mapping[str, Any]:
    registry = served_registry()
    examples = _examples(registry)
    tools: dict[str, Any] = {}
    for tool in registry:
        Draft202012Validator.check_schema(dict(tool.input_schema))  # Tool() already did; shown here
        try:
            states: int | None = compile_regex(to_regex(tool.input_schema)).n_states
        except SchemaError:
            states = None
        example = examples[tool.name]
        tools[tool.name] = {
            "descriptor": tool.descriptor(),
            "mask_ready": states is not None,
            "schema_dfa_states": states,
            "example_arguments": example,
            "example_call": call(tool, example).to_json() if example is not None else None,
            "off_schema_calls": {
                label: call(tool, args).to_json() for label, args in OFF_SCHEMA.items()
            },
        }
    return {
        "tools_registered": len(registry),
        "tools": tools,
        "every_off_schema_call_refused": all(
            not res["ok"] and res["error"]["code"] == "invalid_arguments"
            for t in tools.values()
            for label, res in t["off_schema_calls"].items()
            if label == "extra_key" or t["descriptor"]["inputSchema"].get("required")
        ),
    }


def _protocol(client: MCPClient, name: str, arguments: Any) -> dict[str, Any]:
    try:
        outcome = client.call_tool(name, arguments)
    except ProtocolError as exc:
        return {"protocol_error": exc.code, "message": exc.message}
    return {"isError": outcome.is_error, "structured": outcome.structured}


@lab("31-mcp-roundtrip", title="MCP round trip: every byte on the pipe, both ways")
def mcp_roundtrip(ctx: LabContext) -> Mapping[str, Any]:
    wire: list[tuple[str, bytes]] = []
    command = [sys.executable, "-m", "miniagent.mcp.server"]
    examples = _examples(served_registry())
    with MCPClient(command, timeout=30, wiretap=lambda d, b: wire.append((d, b))) as client:
        init = client.initialize()
        listed = [t["name"] for t in client.list_tools()]
        calls = {
            name: _protocol(client, name, args)
            for name, args in examples.items()
            if args is not None
        }
        unknown = _protocol(client, "no_such_tool", {})
        off_schema = _protocol(client, listed[0], {"not_an_argument": 1})
        client.send_bytes(b'{"jsonrpc":"2.0","id":99,"method":"tools/list"\n')  # a frame cut short
        malformed = client.next_message(time.monotonic() + 30)
        exit_code = client.close()
    transcript = b"".join(f"{d} ".encode() + frame for d, frame in wire)
    ctx.path("transcript.txt").write_bytes(transcript)
    sent = [f for d, f in wire if d == "->"]
    received = [f for d, f in wire if d == "<-"]
    return {
        "protocol_version": init["protocolVersion"],
        "server_info": init["serverInfo"],
        "tools_discovered": len(listed),
        "calls": calls,
        "unknown_tool": unknown,
        "off_schema_call": off_schema,
        "malformed_frame": malformed["error"],
        "frames_sent": len(sent),
        "frames_received": len(received),
        "notifications_sent": sum(b'"method":"notifications/' in f for f in sent),
        "bytes_sent": sum(map(len, sent)),
        "bytes_received": sum(map(len, received)),
        "first_frame": sent[0].decode("utf-8"),
        "server_exit_code": exit_code,
    }


__all__ = ["mcp_roundtrip", "typed_tools"]
