"""Learning-rate schedules as pure functions of the step number `t` (0-based).

Keeping them stateless makes them trivial to test, to plot (phase 04) and to resume from a checkpoint:
the only state a scheduler needs is `t`. `make_schedule` binds the parameters once and returns a
`Callable[[int], float]`, which is what the scheduler classes of phase 09 and the phase 18 training loop wrap.
Phase 18's default is warmup then cosine: warmup because Adam's second-moment estimate is noisy for the
first few hundred steps and a full-size step then can throw the model into a bad region.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

Schedule = Callable[[int], float]


def _check_t(t: int) -> None:
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError(f"step t must be an int, got {type(t).__name__}")
    if t < 0:
        raise ValueError(f"step t must be >= 0, got {t}")


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def constant(t: int, *, eta_0: float = 1.0) -> float:
    """η(t) = η₀."""
    _check_t(t)
    return eta_0


def step_decay(t: int, *, eta_0: float = 1.0, step_size: int = 1000, gamma: float = 0.1) -> float:
    """η(t) = η₀ · γ^⌊t / step_size⌋: the learning rate drops by γ every `step_size` steps."""
    _check_t(t)
    _positive("step_size", step_size)
    return eta_0 * gamma ** (t // step_size)


def linear_warmup(t: int, *, eta_0: float = 1.0, warmup_steps: int = 500) -> float:
    """η(t) = η₀ · t / warmup_steps up to the peak, then η₀: starts at exactly 0."""
    _check_t(t)
    _positive("warmup_steps", warmup_steps)
    return eta_0 * min(1.0, t / warmup_steps)


def cosine(t: int, *, eta_0: float = 1.0, eta_min: float = 0.0, total_steps: int = 10_000) -> float:
    """η(t) = η_min + ½(η₀ − η_min)(1 + cos(π t / total_steps)); η_min from `total_steps` on."""
    _check_t(t)
    _positive("total_steps", total_steps)
    if t >= total_steps:
        return eta_min
    return eta_min + 0.5 * (eta_0 - eta_min) * (1.0 + math.cos(math.pi * t / total_steps))


def warmup_cosine(
    t: int,
    *,
    eta_0: float = 1.0,
    eta_min: float = 0.0,
    warmup_steps: int = 500,
    total_steps: int = 10_000,
) -> float:
    """Linear warmup from 0 to η₀ over `warmup_steps`, then cosine decay to η_min at `total_steps`."""
    _check_t(t)
    _positive("warmup_steps", warmup_steps)
    if total_steps <= warmup_steps:
        raise ValueError(
            f"total_steps ({total_steps}) must exceed warmup_steps ({warmup_steps}) for a decay phase"
        )
    if t < warmup_steps:
        return eta_0 * t / warmup_steps
    return cosine(
        t - warmup_steps, eta_0=eta_0, eta_min=eta_min, total_steps=total_steps - warmup_steps
    )


def wsd(
    t: int,
    *,
    eta_0: float = 1.0,
    eta_min: float = 0.0,
    warmup_steps: int = 500,
    stable_until: int = 7_000,
    total_steps: int = 10_000,
) -> float:
    """Warmup-stable-decay: linear warmup, flat at η₀ until `stable_until`, then linear decay to η_min."""
    _check_t(t)
    _positive("warmup_steps", warmup_steps)
    if not warmup_steps <= stable_until < total_steps:
        raise ValueError(
            "need warmup_steps <= stable_until < total_steps, got "
            f"{warmup_steps}, {stable_until}, {total_steps}"
        )
    if t < warmup_steps:
        return eta_0 * t / warmup_steps
    if t < stable_until:
        return eta_0
    if t >= total_steps:
        return eta_min
    frac = (t - stable_until) / (total_steps - stable_until)
    return eta_0 + (eta_min - eta_0) * frac


SCHEDULES: dict[str, Callable[..., float]] = {
    "constant": constant,
    "step": step_decay,
    "linear_warmup": linear_warmup,
    "cosine": cosine,
    "warmup_cosine": warmup_cosine,
    "wsd": wsd,
}


def make_schedule(name: str, **params: float) -> Schedule:
    """Bind a named schedule's parameters: `make_schedule("warmup_cosine", eta_0=3e-4, total_steps=10_000)`.

    Unknown names and parameters fail here, at configuration time, rather than at step 0 of a long run.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    func = SCHEDULES[name]
    bound = functools.partial(func, **params)
    bound(0)  # raises TypeError for a misspelt parameter, ValueError for an inconsistent one
    return bound


__all__ = [
    "SCHEDULES",
    "Schedule",
    "constant",
    "cosine",
    "linear_warmup",
    "make_schedule",
    "step_decay",
    "warmup_cosine",
    "wsd",
]
