"""Planners that fail on purpose, for the failure tour, break 32 and the loop's tests.

Each is a small deterministic program with one flaw a real planner can have: it repeats itself, it never
makes up its mind, it names a tool that does not exist, or it follows a script. None is used by the tutor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from miniagent.agent.memory import Scratchpad
from miniagent.agent.types import FinalAnswer, ToolCall

_SAME = ToolCall(
    "conjugate", {"verb": "go", "tense": "past_simple", "person": "3sg"}, "once more, to be sure"
)
_VERBS = ("go", "eat", "have", "be", "do", "make", "see", "take", "write", "come")


class LoopingPlanner:
    """Asks the same question every time: the duplicate detector's case."""

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        return _SAME


class IndecisivePlanner:
    """A new, different call every time and never an answer: only the step budget (or a watchdog) ends it."""

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        n = len(pad.steps)
        verb = _VERBS[n % len(_VERBS)]
        return ToolCall(
            "lookup_irregular_verb" if n % 2 else "conjugate",
            {"verb": verb} if n % 2 else {"verb": verb, "tense": "past_simple", "person": "3sg"},
            f"maybe {verb} (call {n + 1})",
        )


class EndlessPlanner:
    """Never repeats, never answers, and has no end to its ideas (break 32's planner): a counter in the
    arguments makes each call new, so only a bound on steps or time can stop it."""

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        return ToolCall("echo", {"text": f"attempt {len(pad.steps) + 1}"}, "one more try")


class HallucinatingPlanner:
    """Names a tool nobody registered (what the call mask makes impossible), then reads the refusal."""

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        if pad.steps and not pad.steps[-1].observation.ok:
            refusal = pad.steps[-1].observation
            return FinalAnswer(f"gave up: {refusal.error_code} ({refusal.error})")
        return ToolCall("this_tool_does_not_exist", {}, "a tool I imagine exists")


class ScriptedPlanner:
    """Plays a script per goal: `scripts[key(goal)][i]` at step i; a goal without a script is an error."""

    def __init__(self, scripts: Mapping[Any, Sequence[ToolCall | FinalAnswer]]) -> None:
        self.scripts = scripts
        self.decisions = 0

    def next_step(self, goal: object, pad: Scratchpad) -> ToolCall | FinalAnswer:
        key = getattr(goal, "sentence", goal)
        if key not in self.scripts:
            raise KeyError(f"no script for {key!r}")
        script = self.scripts[key]
        i = len(pad.steps)
        self.decisions += 1
        return script[i] if i < len(script) else FinalAnswer("the script is over")


__all__ = [
    "EndlessPlanner",
    "HallucinatingPlanner",
    "IndecisivePlanner",
    "LoopingPlanner",
    "ScriptedPlanner",
]
