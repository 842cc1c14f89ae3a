"""Phase 10: weight initialisation that keeps activations and gradients at a steady size through depth.

For `y = W x` with i.i.d. zero-mean weights of variance σ² and `n_in` inputs, `Var(y) = n_in σ² Var(x)`.
Choosing σ² so that factor is 1 keeps the signal from exploding or vanishing layer after layer:
- Xavier/Glorot: σ² = 2 / (n_in + n_out), a compromise between the forward (1/n_in) and backward (1/n_out)
  conditions, for activations that are roughly linear near 0 (tanh, identity);
- Kaiming/He: σ² = 2 / n_in, because ReLU zeroes half its inputs and so halves the second moment.
A `gain` multiplies the standard deviation (PyTorch's `calculate_gain` convention: σ = gain · √(1/fan)).

Every function takes an explicit `np.random.Generator` and fills the tensor in place (trailing underscore,
PyTorch's naming), which is only safe before the tensor has been used in a graph. Nothing here touches NumPy's
global random state.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from minigrad.tensor import Tensor

FanMode = Literal["fan_in", "fan_out"]
Nonlinearity = Literal[
    "linear", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "selu"
]


def calculate_gain(nonlinearity: Nonlinearity, param: float | None = None) -> float:
    """The factor by which to scale the standard deviation so `nonlinearity` keeps the variance steady.

    Values follow `torch.nn.init.calculate_gain`; for GELU (which PyTorch does not list) we use √2, ReLU's:
    the two coincide for large inputs and differ little near 0 (see the phase 10 quiz).
    """
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity in ("relu", "gelu"):
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; choose linear, identity, sigmoid, tanh, relu, "
        "leaky_relu, gelu or selu"
    )


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight stored as (out, in, *kernel), PyTorch's layout for `Linear`."""
    if len(shape) < 2:
        raise ValueError(
            f"fan_in/fan_out need a weight with at least 2 dimensions, got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.data = values.astype(tensor.dtype, copy=False)
    tensor.grad = None
    return tensor


def _check_rng(rng: np.random.Generator) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got "
            f"{type(rng).__name__}"
        )


def uniform_(tensor: Tensor, rng: np.random.Generator, a: float = 0.0, b: float = 1.0) -> Tensor:
    """U(a, b): the 'bad baseline' of phase 10 when used as U(-0.5, 0.5) on a wide layer."""
    _check_rng(rng)
    if not a < b:
        raise ValueError(f"uniform_ needs a < b, got a={a}, b={b}")
    return _fill(tensor, rng.uniform(a, b, size=tensor.shape))


def normal_(
    tensor: Tensor, rng: np.random.Generator, mean: float = 0.0, std: float = 1.0
) -> Tensor:
    _check_rng(rng)
    if not std >= 0:
        raise ValueError(f"normal_ needs std >= 0, got {std}")
    return _fill(tensor, rng.normal(mean, std, size=tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, np.zeros(tensor.shape))


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, np.ones(tensor.shape))


def xavier_uniform_(tensor: Tensor, rng: np.random.Generator, gain: float = 1.0) -> Tensor:
    """U(-b, b) with b = gain · √(6 / (fan_in + fan_out)), i.e. variance gain² · 2 / (fan_in + fan_out)."""
    fan_in, fan_out = fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, rng, -bound, bound)


def xavier_normal_(tensor: Tensor, rng: np.random.Generator, gain: float = 1.0) -> Tensor:
    """N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor.shape)
    return normal_(tensor, rng, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: FanMode, nonlinearity: Nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    rng: np.random.Generator,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
) -> Tensor:
    """U(-b, b) with b = √3 · gain / √fan; with a = 0 that is √(6 / fan_in), He et al.'s ReLU init."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, rng, -bound, bound)


def kaiming_normal_(
    tensor: Tensor,
    rng: np.random.Generator,
    a: float = 0.0,
    mode: FanMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
) -> Tensor:
    """N(0, σ²) with σ = gain / √fan; with a = 0 that is σ² = 2 / fan_in."""
    return normal_(tensor, rng, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


__all__ = [
    "FanMode",
    "Nonlinearity",
    "calculate_gain",
    "fans",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
