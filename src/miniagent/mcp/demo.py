"""A two-tool registry to test and demonstrate the protocol without the tutor's real tools.

`echo` carries any text (accents, quotes, newlines: the framing's hard cases) and `add` takes two bounded
integers (a schema small enough for the phase-30 mask to compile, and with `required`, which break 31 drops).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miniagent.tools.base import Registry, Tool, ToolError

ADD_LIMIT = 999  # |a|, |b| <= 999: a bounded integer keeps the masked generator's numbers short


def _echo(text: str) -> Mapping[str, Any]:
    return {"text": text}


def _add(a: int, b: int) -> Mapping[str, Any]:
    if (
        a == b == ADD_LIMIT
    ):  # a refusal the schema cannot express: shows a tool error, not a protocol error
        raise ToolError("too_large", f"{a} + {b} is more than this demo adds")
    return {"sum": a + b}


ECHO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string", "maxLength": 200}},
    "required": ["text"],
    "additionalProperties": False,
}
ADD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "a": {"type": "integer", "minimum": -ADD_LIMIT, "maximum": ADD_LIMIT},
        "b": {"type": "integer", "minimum": -ADD_LIMIT, "maximum": ADD_LIMIT},
    },
    "required": ["a", "b"],
    "additionalProperties": False,
}


def demo_registry() -> Registry:
    return Registry(
        [
            Tool("echo", "Return the text unchanged.", ECHO_SCHEMA, _echo),
            Tool(
                "add",
                "Add two integers between -999 and 999.",
                ADD_SCHEMA,
                _add,
                output_schema={
                    "type": "object",
                    "properties": {"sum": {"type": "integer"}},
                    "required": ["sum"],
                },
            ),
        ]
    )


__all__ = ["ADD_LIMIT", "ADD_SCHEMA", "ECHO_SCHEMA", "demo_registry"]
