"""The values that travel round the loop: a planner's decision, and the record of one step.

Decisions are plain frozen dataclasses with a JSON form, so a trace can be printed, stored and replayed, and
a model planner's JSON output maps onto them one to one (`{"name": tool, "arguments": {...}}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from miniagent.tools.base import ToolResult

FINAL: Final = "final_answer"  # the pseudo-tool name a model planner writes to stop

#: Why a run ended: the planner answered, the step budget ran out, it repeated a call, or a watchdog fired.
Stop = Literal["final", "budget", "duplicate", "watchdog"]


def canonical(arguments: Mapping[str, Any]) -> str:
    """One spelling per argument set (sorted keys, no spaces): what duplicate detection compares."""
    return json.dumps(dict(arguments), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ToolCall:
    tool: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    thought: str = ""  # why the planner chose it, in one line (empty for a model planner)

    @property
    def key(self) -> tuple[str, str]:
        return self.tool, canonical(self.arguments)

    def to_json(self) -> dict[str, Any]:
        return {"tool": self.tool, "arguments": dict(self.arguments), "thought": self.thought}


@dataclass(frozen=True)
class FinalAnswer:
    """The planner is done; what the answer *is* is the caller's business (the tutor composes it)."""

    thought: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"tool": FINAL, "thought": self.thought}


Decision = ToolCall | FinalAnswer


#: A tool's answer as the loop saw it — the value, or a structured refusal — whichever transport carried it:
#: the same shape as the registry's own result, so it is the same type.
Observation = ToolResult


@dataclass(frozen=True)
class Step:
    index: int  # 1-based, in the order the planner decided
    call: ToolCall
    observation: Observation

    def to_json(self) -> dict[str, Any]:
        """The trace entry (`"step": "tool"`, as the tutor's trace has always spelled tool calls)."""
        return {
            "step": "tool",
            "index": self.index,
            "thought": self.call.thought,
            "tool": self.call.tool,
            "arguments": dict(self.call.arguments),
            **self.observation.to_json(),
        }


__all__ = [
    "FINAL",
    "Decision",
    "FinalAnswer",
    "Observation",
    "Step",
    "Stop",
    "ToolCall",
    "canonical",
]
