"""Elementwise ops: arithmetic with broadcasting, and the activation functions.

Each op computes its result and hands `_unary`/`_binary` the local derivative as a small function of the
upstream gradient `g` — the forward and its derivative on neighbouring lines, as in micrograd's `engine.py`.
Binary ops may broadcast, so `_binary` sums each parent's gradient back down to the parent's shape. Python
numbers are lifted to the other operand's dtype, so `x * 2` keeps a float32 tensor float32.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from minigrad.tensor.base import Array, Operand, TensorBase, as_float_array

if TYPE_CHECKING:
    from minigrad.tensor.core import Tensor

#: sqrt(2/pi) as a Python float, so float32 inputs stay float32 (GELU's tanh approximation).
_GELU_C = math.sqrt(2.0 / math.pi)


def _identity(g: Array) -> Array:
    return g


def _is_real(x: object) -> bool:
    """Runtime guard for callers that ignore the type hints (numpy scalars count as numbers)."""
    return isinstance(x, numbers.Real)


class ElementwiseOps(TensorBase):
    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other: Operand) -> Tensor:
        other = self._lift(other)
        return self._binary(other, self.data + other.data, "add", _identity, _identity)

    def __radd__(self, other: Operand) -> Tensor:
        return self._lift(other) + self

    def __sub__(self, other: Operand) -> Tensor:
        other = self._lift(other)
        return self._binary(other, self.data - other.data, "sub", _identity, np.negative)

    def __rsub__(self, other: Operand) -> Tensor:
        return self._lift(other) - self

    def __mul__(self, other: Operand) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data
        return self._binary(other, a * b, "mul", lambda g: g * b, lambda g: g * a)

    def __rmul__(self, other: Operand) -> Tensor:
        return self._lift(other) * self

    def __truediv__(self, other: Operand) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data
        if np.any(b == 0):
            raise ZeroDivisionError(f"Tensor division by a divisor with zeros (shape {b.shape})")
        quotient = a / b
        return self._binary(other, quotient, "div", lambda g: g / b, lambda g: -g * quotient / b)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return self._lift(other) / self

    def __neg__(self) -> Tensor:
        return self._unary(-self.data, "neg", np.negative)

    def __pow__(self, exponent: float | int) -> Tensor:
        if not _is_real(exponent):
            raise TypeError(
                f"Tensor ** exponent needs a constant int or float, got {type(exponent).__name__} "
                "(write (y * x.log()).exp() for a tensor exponent)"
            )
        x = self.data
        p = float(exponent)
        if (
            p == 2.0
        ):  # squares are everywhere (losses, variances); x * x is several times faster than power
            return self._unary(x * x, "pow2", lambda g: g * (x + x))
        return self._unary(x**p, f"pow{exponent:g}", lambda g: g * p * x ** (p - 1.0))

    # ------------------------------------------------------------------ functions

    def exp(self) -> Tensor:
        y = np.exp(self.data)
        return self._unary(y, "exp", lambda g: g * y)

    def log(self) -> Tensor:
        x = self.data
        if np.any(x <= 0):
            bad = tuple(int(i) for i in np.argwhere(x <= 0)[0])
            raise ValueError(
                f"log needs positive inputs; found {x[bad]!r} at index {bad} of a tensor of shape "
                f"{self.shape}"
            )
        return self._unary(np.log(x), "log", lambda g: g / x)

    def tanh(self) -> Tensor:
        y = np.tanh(self.data)
        return self._unary(y, "tanh", lambda g: g * (1.0 - y * y))

    def sigmoid(self) -> Tensor:
        x = self.data
        e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return self._unary(y, "sigmoid", lambda g: g * y * (1.0 - y))

    def relu(self) -> Tensor:
        x = self.data
        mask = x > 0  # relu'(0) = 0, as in PyTorch
        y = np.where(mask, x, 0).astype(x.dtype, copy=False)
        return self._unary(y, "relu", lambda g: g * mask)

    def gelu(self) -> Tensor:
        """GELU, tanh approximation (PyTorch's `approximate="tanh"`, GPT-2's choice).

        y = x · h with h = (1 + tanh(u)) / 2 and u = √(2/π) · (x + 0.044715 x³). Using 1 − tanh² = 4h(1 − h),
        the derivative is h + 2 x h (1 − h) · √(2/π) (1 + 3 · 0.044715 x²), so backward needs only x and h:
        no second tanh, and every step below writes into an array this op owns (`out=`), which matters at
        the (B, T, 4·d_model) size of a transformer's MLP. The cube is `x * x * x`: NumPy's `x**3` goes
        through `pow` and once cost a quarter of a MiniGPT training step.
        """
        x = self.data
        h = np.multiply(x, x, out=np.empty_like(x))  # (...) becomes u, then tanh(u), then h
        h *= _GELU_C * 0.044715
        h += _GELU_C
        h *= x
        np.tanh(h, out=h)
        h *= 0.5
        h += 0.5
        y = x * h

        def dx(g: Array) -> Array:
            d = np.multiply(x, x, out=np.empty_like(x))
            d *= 2.0 * _GELU_C * 3.0 * 0.044715
            d += 2.0 * _GELU_C
            d *= x
            d *= h
            d *= 1.0 - h
            d += h
            d *= g
            return d

        return self._unary(y.astype(x.dtype, copy=False), "gelu", dx)

    def astype(self, dtype: npt.DTypeLike) -> Tensor:
        """A differentiable cast: the gradient comes back in this tensor's dtype."""
        return self._unary(as_float_array(self.data, dtype), "astype", _identity)


__all__ = ["ElementwiseOps"]
