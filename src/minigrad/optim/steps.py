"""Optimiser updates as pure functions: `(param, grad, state, *, lr, ...) -> (new_param, new_state)`.

Each optimiser is "SGD plus one more piece of memory": momentum keeps a velocity, Adam keeps running means
of g and g² and corrects their start-up bias. Written as functions over one array and one state dict so the
maths can be read in isolation, raced on Rosenbrock (phase 04) and reused unchanged by the optimizer classes
of `minigrad.nn` (phase 09), which only loop over parameters and store each state dict.

Semantics follow PyTorch's `torch.optim` (so parity tests can compare step by step):
- the state keys are PyTorch's: `momentum_buffer`, `exp_avg`, `exp_avg_sq`, `step`;
- `weight_decay` in SGD and Adam is L2 folded into the gradient (coupled); AdamW decays the weights directly
  (decoupled), so `adamw_step(weight_decay=0)` is exactly `adam_step`;
- the first momentum step stores the raw gradient (no dampening), as PyTorch does.
Inputs are never mutated; the returned state is a new dict holding new arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.floating]
#: Per-parameter optimiser memory: arrays shaped like the parameter, plus an int step counter for Adam.
OptState = dict[str, FloatArray | int]


def _check(param: FloatArray, grad: FloatArray, lr: float, weight_decay: float) -> None:
    if param.shape != grad.shape:
        raise ValueError(f"grad shape {grad.shape} does not match param shape {param.shape}")
    if not lr >= 0:
        raise ValueError(f"lr must be >= 0, got {lr}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")


def _array(state: Mapping[str, FloatArray | int], key: str) -> FloatArray | None:
    value = state.get(key)
    if value is None:
        return None
    if not isinstance(value, np.ndarray):
        raise TypeError(f"optimizer state {key!r} must be an array, got {type(value).__name__}")
    return value


def _beta(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")


def sgd_step(
    param: FloatArray,
    grad: FloatArray,
    state: Mapping[str, FloatArray | int] | None = None,
    *,
    lr: float,
    weight_decay: float = 0.0,
) -> tuple[FloatArray, OptState]:
    """θ ← θ − η (g + λθ). Vanilla SGD keeps no memory; `state` is accepted so every step has one shape."""
    _check(param, grad, lr, weight_decay)
    g = grad + weight_decay * param if weight_decay else grad
    return param - lr * g, dict(state or {})


def momentum_step(
    param: FloatArray,
    grad: FloatArray,
    state: Mapping[str, FloatArray | int] | None = None,
    *,
    lr: float,
    momentum: float = 0.9,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[FloatArray, OptState]:
    """v ← μv + (1 − d)g; θ ← θ − ηv (Nesterov: θ ← θ − η(g + μv)).

    The velocity is an exponential sum of past gradients: components that flip sign every step (the
    zig-zag across a ravine) cancel, components that agree accumulate up to 1/(1 − μ) times.
    """
    _check(param, grad, lr, weight_decay)
    _beta("momentum", momentum)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov momentum needs momentum > 0 and dampening == 0")
    g = grad + weight_decay * param if weight_decay else grad
    prev = _array(state or {}, "momentum_buffer")
    buf = g.copy() if prev is None else momentum * prev + (1.0 - dampening) * g
    direction = g + momentum * buf if nesterov else buf
    new_state: OptState = {**(state or {}), "momentum_buffer": buf}
    return param - lr * direction, new_state


def _adam_moments(
    grad: FloatArray,
    state: Mapping[str, FloatArray | int],
    beta1: float,
    beta2: float,
) -> tuple[FloatArray, FloatArray, int]:
    m = _array(state, "exp_avg")
    v = _array(state, "exp_avg_sq")
    raw_t = state.get("step", 0)
    if not isinstance(raw_t, int | np.integer):
        raise TypeError(f"optimizer state 'step' must be an int, got {type(raw_t).__name__}")
    t = int(raw_t) + 1
    m = (1 - beta1) * grad if m is None else beta1 * m + (1 - beta1) * grad
    v = (1 - beta2) * grad * grad if v is None else beta2 * v + (1 - beta2) * grad * grad
    return m, v, t


def adam_step(
    param: FloatArray,
    grad: FloatArray,
    state: Mapping[str, FloatArray | int] | None = None,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[FloatArray, OptState]:
    """m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − η m̂ / (√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).

    Both moments start at zero, so early on they underestimate; without the correction the first step
    would be η(1−β₁)/√(1−β₂)·sign(g) ≈ 3.16η·sign(g) for the defaults. With it the first step is η·sign(g). `weight_decay` here is coupled L2 (added to g),
    which Adam then rescales per coordinate: use `adamw_step` for real weight decay.
    """
    _check(param, grad, lr, weight_decay)
    beta1, beta2 = betas
    _beta("beta1", beta1)
    _beta("beta2", beta2)
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    g = grad + weight_decay * param if weight_decay else grad
    st = state or {}
    m, v, t = _adam_moments(g, st, beta1, beta2)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    new_param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_param, {**st, "exp_avg": m, "exp_avg_sq": v, "step": t}


def adamw_step(
    param: FloatArray,
    grad: FloatArray,
    state: Mapping[str, FloatArray | int] | None = None,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[FloatArray, OptState]:
    """θ ← θ(1 − ηλ), then the Adam step on the raw gradient: decay that Adam's scaling cannot undo."""
    _check(param, grad, lr, weight_decay)
    decayed = param * (1 - lr * weight_decay) if weight_decay else param
    return adam_step(decayed, grad, state, lr=lr, betas=betas, eps=eps)


__all__ = ["OptState", "adam_step", "adamw_step", "momentum_step", "sgd_step"]
