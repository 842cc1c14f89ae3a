"""Reverse broadcasting: the backward half of NumPy's broadcasting rules.

When the forward pass stretches an operand of shape `(3,)` to `(4, 3)`, each of its entries is used four
times, so its gradient is the *sum* of the four upstream entries. `unbroadcast` performs those sums: over the
leading axes the forward pass prepended, and (keeping the axis) over every axis where the operand had size 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def unbroadcast(grad: npt.NDArray[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """Sum `grad` down to `shape`, undoing whatever broadcasting produced `grad.shape` from `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(f"cannot unbroadcast a gradient of shape {grad.shape} to larger {shape}")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(
        axis
        for axis, (size, target) in enumerate(zip(grad.shape, shape, strict=True))
        if target == 1 and size != 1
    )
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise ValueError(
            f"gradient of shape {grad.shape} is not a broadcast of {shape}: the forward pass and "
            "the backward pass disagree about shapes"
        )
    return grad


def normalize_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """`axis` as a sorted tuple of non-negative axes (all axes for None), with a clear error if invalid."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, int | np.integer):
            raise TypeError(f"axis entries must be integers, got {type(a).__name__}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis} repeats an axis")
    return tuple(sorted(out))
