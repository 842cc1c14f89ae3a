"""Gradient checking: compare backpropagated gradients with central finite differences in float64.

`(f(x + eps) - f(x - eps)) / (2 eps)` has an O(eps^2) truncation error and an O(delta / eps) rounding error
(delta ~ 1e-16 in float64), so eps around 1e-6 leaves roughly eight trustworthy digits: plenty to catch a
wrong sign, a missing `+=`, or a gradient that was not summed over a broadcast axis. In float32 the same
balance leaves about two digits, which is why the check refuses float32 tensors.

One function serves both engines: the inputs are `Value`s (phase 07) or `Tensor`s (phase 08). A tensor-valued
output is reduced to a scalar with fixed pseudo-random weights rather than a plain sum, because a uniform
upstream gradient hides exactly the broadcasting bugs this check is for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.scalar import Value
from minigrad.tensor import Tensor, no_grad

Array = npt.NDArray[np.float64]
Node = Value | Tensor


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message names the input, the element and both values."""


@dataclass(frozen=True)
class InputCheck:
    """How one input fared: its two gradients and the worst element."""

    index: int
    numerical: Array
    analytic: Array
    max_abs_error: float
    max_rel_error: float
    worst_element: tuple[int, ...]
    passed: bool


def _scalar_of(out: Any, weights: dict[tuple[int, ...], Array]) -> float:
    if isinstance(out, Value):
        return out.data
    if isinstance(out, Tensor):
        return float(np.sum(out.data * _weights_for(out.shape, weights)))
    raise TypeError(f"gradcheck: f must return a Value or a Tensor, got {type(out).__name__}")


def _weights_for(shape: tuple[int, ...], cache: dict[tuple[int, ...], Array]) -> Array:
    """Fixed, non-uniform weights in [0.5, 1.5) for reducing a tensor output (same for every call)."""
    if shape not in cache:
        cache[shape] = np.random.default_rng(1234).uniform(0.5, 1.5, size=shape)
    return cache[shape]


def _validate(inputs: Sequence[Node]) -> None:
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if x.dtype != np.float64:
                raise TypeError(
                    f"gradcheck input {i} is {x.dtype}; finite differences need float64 "
                    "(create it with dtype=np.float64)"
                )
            if not x.requires_grad:
                raise ValueError(f"gradcheck input {i} does not require grad")
        elif not isinstance(x, Value):
            raise TypeError(f"gradcheck input {i} is a {type(x).__name__}, not a Value or Tensor")


def analytic_gradients(f: Callable[..., Any], inputs: Sequence[Node]) -> list[Array]:
    """Backpropagated gradients of the (weighted) scalar output with respect to each input."""
    _validate(inputs)
    for x in inputs:
        if isinstance(x, Value):
            x.grad = 0.0
        else:
            x.grad = None
    out = f(*inputs)
    if isinstance(out, Tensor):
        weights: dict[tuple[int, ...], Array] = {}
        if not out.requires_grad:
            return [np.zeros_like(np.asarray(_data(x))) for x in inputs]
        out.backward(_weights_for(out.shape, weights))
    elif isinstance(out, Value):
        out.backward()
    else:
        raise TypeError(f"gradcheck: f must return a Value or a Tensor, got {type(out).__name__}")
    grads: list[Array] = []
    for x in inputs:
        if isinstance(x, Value):
            grads.append(np.asarray(x.grad, dtype=np.float64))
        else:
            grads.append(
                np.zeros_like(x.data) if x.grad is None else np.asarray(x.grad, np.float64)
            )
    return grads


def _data(x: Node) -> float | Array:
    return x.data


def numerical_gradients(
    f: Callable[..., Any], inputs: Sequence[Node], *, eps: float = 1e-6
) -> list[Array]:
    """Central differences, one element at a time (2 evaluations of `f` per element: keep inputs small)."""
    _validate(inputs)
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    weights: dict[tuple[int, ...], Array] = {}
    grads: list[Array] = []
    with no_grad():
        for x in inputs:
            if isinstance(x, Value):
                original = x.data
                x.data = original + eps
                plus = _scalar_of(f(*inputs), weights)
                x.data = original - eps
                minus = _scalar_of(f(*inputs), weights)
                x.data = original
                grads.append(np.asarray((plus - minus) / (2.0 * eps)))
                continue
            grad = np.zeros_like(x.data)
            for idx in np.ndindex(x.data.shape):
                original = float(x.data[idx])
                x.data[idx] = original + eps
                plus = _scalar_of(f(*inputs), weights)
                x.data[idx] = original - eps
                minus = _scalar_of(f(*inputs), weights)
                x.data[idx] = original  # restore the exact value, not original + eps - eps
                grad[idx] = (plus - minus) / (2.0 * eps)
            grads.append(grad)
    return grads


def check_gradients(
    f: Callable[..., Any],
    inputs: Sequence[Node],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> list[InputCheck]:
    """Both gradients for every input and whether `|num - ana| <= atol + rtol * |num|` holds everywhere."""
    numerical = numerical_gradients(f, inputs, eps=eps)
    analytic = analytic_gradients(f, inputs)
    report = []
    for i, (num, ana) in enumerate(zip(numerical, analytic, strict=True)):
        diff = np.abs(num - ana)
        rel = diff / np.maximum(np.abs(num), 1e-300)
        excess = diff - (atol + rtol * np.abs(num))
        worst = np.unravel_index(int(np.argmax(excess)), num.shape) if num.size else ()
        report.append(
            InputCheck(
                index=i,
                numerical=num,
                analytic=ana,
                max_abs_error=float(diff.max(initial=0.0)),
                max_rel_error=float(rel.max(initial=0.0)),
                worst_element=tuple(int(w) for w in worst),
                passed=bool(np.all(excess <= 0)),
            )
        )
    return report


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Node],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if every input's analytic gradient matches central differences; otherwise raise `GradcheckError`.

    `f(*inputs)` must return a `Value` or a `Tensor`; tensor inputs must be float64 and require grad.
    The message names the first failing input and element with both gradients and their differences.
    """
    for item in check_gradients(f, inputs, eps=eps, atol=atol, rtol=rtol):
        if not item.passed:
            where = item.worst_element
            num = float(item.numerical[where])
            ana = float(item.analytic[where])
            diff = abs(num - ana)
            rel = diff / abs(num) if num else float("inf")
            element = f" element {where}" if where else ""
            raise GradcheckError(
                f"gradcheck failed at input {item.index}{element}:\n"
                f"  numerical = {num:.8g}\n"
                f"  analytic  = {ana:.8g}\n"
                f"  abs diff  = {diff:.3g} (atol {atol:g})\n"
                f"  rel diff  = {rel:.3g} (rtol {rtol:g})"
            )
    return True


__all__ = [
    "GradcheckError",
    "InputCheck",
    "analytic_gradients",
    "check_gradients",
    "gradcheck",
    "numerical_gradients",
]
