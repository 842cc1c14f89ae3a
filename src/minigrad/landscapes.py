"""Test functions for optimisers: Rosenbrock's banana valley and an ill-conditioned quadratic ravine.

Rosenbrock f(x, y) = (1 − x)² + 100 (y − x²)² has its minimum at (1, 1) at the bottom of a long curved valley
whose walls are ~100× steeper than its floor: plain gradient descent bounces between the walls, momentum
and Adam make progress along the floor. Gradients are written by hand (phase 04 is before autograd).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

ROSENBROCK_MIN = np.array([1.0, 1.0])


def _point(p: FloatArray) -> FloatArray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.shape != (2,):
        raise ValueError(f"expected a 2-D point (x, y), got shape {arr.shape}")
    return arr


def rosenbrock(p: FloatArray, a: float = 1.0, b: float = 100.0) -> float:
    x, y = _point(p)
    return float((a - x) ** 2 + b * (y - x * x) ** 2)


def rosenbrock_grad(p: FloatArray, a: float = 1.0, b: float = 100.0) -> FloatArray:
    """(∂f/∂x, ∂f/∂y) = (−2(a − x) − 4bx(y − x²), 2b(y − x²))."""
    x, y = _point(p)
    return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)])


def ravine(p: FloatArray, steep: float = 50.0) -> float:
    """0.5 (x² + steep·y²): condition number `steep`, the textbook zig-zag case."""
    x, y = _point(p)
    return float(0.5 * (x * x + steep * y * y))


def ravine_grad(p: FloatArray, steep: float = 50.0) -> FloatArray:
    x, y = _point(p)
    return np.array([x, steep * y])


__all__ = ["ROSENBROCK_MIN", "ravine", "ravine_grad", "rosenbrock", "rosenbrock_grad"]
