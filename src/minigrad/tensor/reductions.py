"""Reductions: `sum`, `mean`, `max`, `min` over any axes, with or without `keepdims`.

A reduction removes axes, so its backward first puts them back (`np.expand_dims` when `keepdims=False`) and
then spreads the gradient over every entry that was reduced: all of them for `sum` (scaled by 1/count for
`mean`), only the maxima for `max`, which share the gradient equally when they tie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minigrad._broadcast import normalize_axes
from minigrad.tensor.base import Array, Axis, TensorBase

if TYPE_CHECKING:
    from minigrad.tensor.core import Tensor


class ReductionOps(TensorBase):
    __slots__ = ()

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = normalize_axes(axis, self.ndim)
        shape = self.data.shape

        def dx(g: Array) -> Array:
            if not keepdims:
                g = np.expand_dims(g, axes)
            return np.broadcast_to(g, shape)

        return self._unary(self.data.sum(axis=axes, keepdims=keepdims), "sum", dx)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = normalize_axes(axis, self.ndim)
        count = int(np.prod([self.data.shape[a] for a in axes], dtype=np.int64))
        if count == 0:
            raise ValueError(f"mean over an empty selection (shape {self.shape}, axis={axis})")
        shape = self.data.shape
        scale = 1.0 / count

        def dx(g: Array) -> Array:
            if not keepdims:
                g = np.expand_dims(g, axes)
            return np.broadcast_to(g * scale, shape)

        return self._unary(self.data.mean(axis=axes, keepdims=keepdims), "mean", dx)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum; where several entries tie for it, the gradient is shared equally (like `torch.amax`)."""
        axes = normalize_axes(axis, self.ndim)
        if self.data.size == 0:
            raise ValueError(f"max of an empty tensor (shape {self.shape})")
        top = self.data.max(axis=axes, keepdims=True)
        mask = self.data == top
        share: Array = (mask / mask.sum(axis=axes, keepdims=True)).astype(self.data.dtype)
        data = top if keepdims else np.squeeze(top, axis=axes)

        def dx(g: Array) -> Array:
            if not keepdims:
                g = np.expand_dims(g, axes)
            return g * share

        return self._unary(data, "max", dx)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """min(x) = -max(-x), ties included."""
        negated = self._unary(-self.data, "neg", np.negative)
        return -negated.max(axis=axis, keepdims=keepdims)


__all__ = ["ReductionOps"]
