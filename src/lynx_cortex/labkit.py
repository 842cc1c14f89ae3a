"""Lab sizing and strict JSON, shared by every package's labs.

Every lab has a `smoke`, a `default` and a `full` size. `default` takes seconds (what `lynx lab run <id>`
gives), `full` is the long, course-sized version (`lynx lab run <id> --mode full`), `smoke` is the reduced size
the test suite uses (`LYNX_LAB_MODE=smoke`). The chosen mode and every setting it implies are written into the
run's config, so the manifest says which version produced a result and runs of different sizes are never
compared by accident. Values passed explicitly (`run_lab(..., config={...})`) win over the mode's.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from lynx_cortex.errors import LynxError
from lynx_cortex.registry import LabContext

MODE_ENV = "LYNX_LAB_MODE"
Mode = Literal["smoke", "default", "full"]
MODES: tuple[Mode, ...] = ("smoke", "default", "full")


def lab_mode() -> Mode:
    """The mode from `LYNX_LAB_MODE` (default `default`); an unknown value is a user error."""
    raw = os.environ.get(MODE_ENV, "default").strip().lower() or "default"
    if raw not in MODES:
        raise LynxError(f"{MODE_ENV}={raw!r} is not a lab mode; use one of {', '.join(MODES)}")
    return raw


def settings(ctx: LabContext, variants: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The settings for the current mode (falling back to `default`), overridden by explicit config values,
    and recorded in `ctx.config`."""
    mode = lab_mode()
    chosen = dict(variants.get(mode) or variants["default"])
    chosen.update({key: ctx.config[key] for key in chosen if key in ctx.config})
    ctx.config["mode"] = mode
    ctx.config.update(chosen)
    return chosen


def interleaved_seconds(
    sides: Mapping[str, Callable[[], object]], rounds: int
) -> dict[str, list[float]]:
    """Wall seconds of each side's call, `rounds` times, the sides taking turns within every round.

    Taking turns (rather than all rounds of one side, then the other) makes a change in machine load hit every
    side alike, so the per-round ratios (`paired_median_ratio`) stay fair on a shared machine.
    """
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(rounds):
        for side, call in sides.items():
            start = time.perf_counter()
            call()
            seconds[side].append(time.perf_counter() - start)
    return seconds


def paired_median_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """The median of the per-round ratios: robust to a round that a neighbour's load slowed down."""
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("paired timings need the same, non-zero number of rounds on both sides")
    return float(statistics.median(a / b for a, b in zip(numerator, denominator, strict=True)))


def jsonable(value: Any) -> Any:
    """Strict JSON: non-finite floats become "nan"/"inf"/"-inf", NumPy values Python ones, tuples lists.

    `json.dumps` would otherwise write bare NaN/Infinity, which browsers and most JSON parsers reject.
    """
    import numpy as np  # here, so that the CLI's start-up (it needs only the modes above) skips NumPy

    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


__all__ = [
    "MODES",
    "MODE_ENV",
    "Mode",
    "interleaved_seconds",
    "jsonable",
    "lab_mode",
    "paired_median_ratio",
    "settings",
]
