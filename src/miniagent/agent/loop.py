"""The ReAct loop: decide → act → observe, until the planner answers or a guard stops it.

Three guards, because a planner is a program we do not trust to stop (a model planner least of all):

- the **step budget** (`MAX_STEPS = 8` tool calls; the final answer itself is not a step);
- **duplicate detection**: a call whose tool and canonical arguments were already made in this run would
  only get the same observation again, so the loop stops there (`stopped: "duplicate"`) instead of spending
  the rest of the budget — any earlier repeat counts, so an A→B→A cycle is caught as well as A→A;
- a **watchdog**: a timer on another thread that sets a flag the loop checks before each decision. It is the
  last line for a loop run without a budget (break 32) or with a planner that is slow rather than repetitive.

Every decision lands in `AgentRun.trace` (tool steps with their thought and observation, the duplicate, the
final answer and why the run stopped), which is what `lynx tutor --trace` prints.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar

from opentelemetry import trace as otel_trace

from miniagent.agent.dispatch import Dispatcher
from miniagent.agent.memory import Scratchpad
from miniagent.agent.types import FinalAnswer, Stop, ToolCall

_tracer = otel_trace.get_tracer("miniagent.agent")

MAX_STEPS: Final = 8

GoalT = TypeVar("GoalT", contravariant=True)
G = TypeVar("G")


class Planner(Protocol[GoalT]):
    def next_step(self, goal: GoalT, pad: Scratchpad) -> ToolCall | FinalAnswer: ...


class Watchdog:
    """`with Watchdog(2.0) as dog: run_agent(..., watchdog=dog)`: fires once, `seconds` after entry."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._fired = threading.Event()
        self._timer = threading.Timer(seconds, self._fired.set)
        self._timer.daemon = True

    @property
    def fired(self) -> bool:
        return self._fired.is_set()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()


@dataclass
class AgentRun:
    pad: Scratchpad
    stopped: Stop
    decisions: int  # how many times the planner was asked
    trace: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.stopped == "final"


def run_agent(
    planner: Planner[G],
    dispatcher: Dispatcher,
    goal: G,
    *,
    max_steps: int | None = MAX_STEPS,
    detect_duplicates: bool = True,
    watchdog: Watchdog | None = None,
) -> AgentRun:
    """Run one goal to its end. `max_steps=None` and `detect_duplicates=False` exist for break 32 only."""
    pad = Scratchpad()  # fresh per run: nothing leaks from the previous goal
    trace: list[dict[str, Any]] = []
    decisions = 0
    while True:
        if watchdog is not None and watchdog.fired:
            trace.append({"step": "stop", "stopped": "watchdog", "after_steps": len(pad.steps)})
            return AgentRun(pad, "watchdog", decisions, trace)
        if max_steps is not None and len(pad.steps) >= max_steps:
            trace.append({"step": "stop", "stopped": "budget", "after_steps": len(pad.steps)})
            return AgentRun(pad, "budget", decisions, trace)
        decision = planner.next_step(goal, pad)
        decisions += 1
        if isinstance(decision, FinalAnswer):
            trace.append({"step": "final", "thought": decision.thought, "stopped": "final"})
            return AgentRun(pad, "final", decisions, trace)
        if detect_duplicates and pad.seen(decision):
            trace.append({"step": "duplicate", **decision.to_json(), "stopped": "duplicate"})
            return AgentRun(pad, "duplicate", decisions, trace)
        with _tracer.start_as_current_span(f"tool.{decision.tool}"):  # a no-op without an OTel SDK
            observation = dispatcher.call(decision.tool, decision.arguments)
        step = pad.append(decision, observation)
        trace.append(step.to_json())


__all__ = ["MAX_STEPS", "AgentRun", "Planner", "Watchdog", "run_agent"]
