"""Joining tensors: `concatenate` along an existing axis, `stack` along a new one.

Backward hands each input the slice of the gradient that came from it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from minigrad._broadcast import normalize_axes
from minigrad.tensor.core import Tensor, _make


def _tensor_list(tensors: Iterable[Tensor], what: str) -> list[Tensor]:
    items = list(tensors)
    if not items:
        raise ValueError(f"{what} needs at least one tensor")
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: item {i} is a {type(t).__name__}, not a Tensor")
    return items


def concatenate(tensors: Iterable[Tensor], axis: int = 0) -> Tensor:
    """Join along an existing axis; backward hands each input its slice of the gradient."""
    items = _tensor_list(tensors, "concatenate")
    ax = normalize_axes(axis, items[0].ndim)[0]
    data = np.concatenate([t.data for t in items], axis=ax)
    bounds = np.cumsum([0] + [t.data.shape[ax] for t in items])
    out = _make(data, tuple(items), "concatenate")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            for t, start, stop in zip(items, bounds[:-1], bounds[1:], strict=True):
                if t.requires_grad:
                    index = (slice(None),) * ax + (slice(int(start), int(stop)),)
                    t._accumulate(g[index], "concatenate")

        out._backward = _backward
    return out


def stack(tensors: Iterable[Tensor], axis: int = 0) -> Tensor:
    """Join along a new axis; backward hands input i the gradient's slice i along that axis."""
    items = _tensor_list(tensors, "stack")
    ax = normalize_axes(axis, items[0].ndim + 1)[0]
    out = _make(np.stack([t.data for t in items], axis=ax), tuple(items), "stack")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            for i, t in enumerate(items):
                if t.requires_grad:
                    t._accumulate(np.asarray(np.take(g, i, axis=ax)), "stack")

        out._backward = _backward
    return out


#: The seed's name for `concatenate`.
cat = concatenate


__all__ = ["cat", "concatenate", "stack"]
