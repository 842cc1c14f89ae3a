"""The scratchpad: what one correction has seen so far, and nothing from the last one.

It is created inside each run (never kept on the agent), so two corrections can never share observations —
the classic leak where the second sentence's plan reads the first one's tool results. It is append-only
while the run lasts; the tutor reads it afterwards to compose the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from miniagent.agent.types import Observation, Step, ToolCall


@dataclass
class Scratchpad:
    steps: list[Step] = field(default_factory=list)

    def append(self, call: ToolCall, observation: Observation) -> Step:
        step = Step(len(self.steps) + 1, call, observation)
        self.steps.append(step)
        return step

    def seen(self, call: ToolCall) -> bool:
        """Was this exact call (tool and canonical arguments) made already in this run?"""
        return any(step.call.key == call.key for step in self.steps)

    def find(self, call: ToolCall) -> Observation | None:
        """The observation of the first call equal to `call`, if the planner made it."""
        for step in self.steps:
            if step.call.key == call.key:
                return step.observation
        return None

    def tools_called(self) -> list[str]:
        return [step.call.tool for step in self.steps]

    def render(self, limit: int = 400) -> str:
        """The trace as a planner prompt shows it: one `tool(args) -> ok|error` line per step, cut to
        `limit` characters from the end (the latest steps matter most)."""
        lines = [
            f"{s.call.tool}({json.dumps(dict(s.call.arguments), sort_keys=True)})"
            f" -> {'ok' if s.observation.ok else 'error ' + s.observation.error_code}"
            for s in self.steps
        ]
        return "\n".join(lines)[-limit:]


__all__ = ["Scratchpad"]
