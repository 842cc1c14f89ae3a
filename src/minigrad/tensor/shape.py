"""Shape ops: `reshape`, `transpose`/`T`/`swapaxes`, `broadcast_to` and indexing.

None of them does arithmetic, so each backward only moves the gradient back to where the forward took the
value from: reshape it back, apply the inverse permutation, sum a broadcast away, or scatter into zeros
(`np.add.at`, so an index that selects an element twice adds both gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad._broadcast import normalize_axes, unbroadcast
from minigrad.tensor.base import Array, TensorBase

if TYPE_CHECKING:
    from minigrad.tensor.core import Tensor


class ShapeOps(TensorBase):
    __slots__ = ()

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """`reshape(2, 3)` or `reshape((2, 3))`; one entry may be -1. No data moves, so backward only reshapes."""
        target = _shape_arg(shape)
        old = self.data.shape
        return self._unary(self.data.reshape(target), "reshape", lambda g: g.reshape(old))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute axes (`transpose()` reverses them); backward applies the inverse permutation."""
        if not axes:
            perm = tuple(reversed(range(self.ndim)))
        else:
            given = _shape_arg(axes)
            if len(given) != self.ndim or any(not -self.ndim <= a < self.ndim for a in given):
                raise ValueError(
                    f"transpose axes {given} do not fit a tensor with {self.ndim} axes"
                )
            perm = tuple(a % self.ndim for a in given)
            if sorted(perm) != list(range(self.ndim)):
                raise ValueError(f"transpose axes {given} are not a permutation of the axes")
        inverse = tuple(int(i) for i in np.argsort(perm))
        return self._unary(self.data.transpose(perm), "transpose", lambda g: g.transpose(inverse))

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's and PyTorch's name
        return self.transpose()

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        perm = list(range(self.ndim))
        a, b = normalize_axes(axis1, self.ndim)[0], normalize_axes(axis2, self.ndim)[0]
        perm[a], perm[b] = perm[b], perm[a]
        return self.transpose(tuple(perm))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Stretch to `shape` without copying (a read-only view, like `torch.Tensor.expand`)."""
        target = tuple(int(s) for s in shape)
        old = self.data.shape
        return self._unary(
            np.broadcast_to(self.data, target), "broadcast_to", lambda g: unbroadcast(g, old)
        )

    def __getitem__(self, key: Any) -> Tensor:
        """NumPy indexing; backward scatters with `np.add.at`, so repeated indices add up."""
        key = _index_arg(key)
        x = self.data
        basic = _is_basic_index(key)

        def dx(g: Array) -> Array:
            full = np.zeros_like(x)
            if basic:  # slices and ints never select an element twice: plain assignment is exact
                full[key] = g
            else:
                np.add.at(full, key, g)
            return full

        return self._unary(x[key], "getitem", dx)


def _shape_arg(args: tuple[int | Sequence[int], ...]) -> tuple[int, ...]:
    if len(args) == 1 and not isinstance(args[0], int | np.integer):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)  # type: ignore[arg-type]


def _index_arg(key: Any) -> Any:
    """Tensors used as indices become their integer arrays."""
    if isinstance(key, TensorBase):
        return _tensor_index(key)
    if isinstance(key, tuple):
        return tuple(_tensor_index(k) if isinstance(k, TensorBase) else k for k in key)
    return key


def _tensor_index(t: TensorBase) -> Array:
    data = t.data
    if not np.all(np.equal(np.mod(data, 1), 0)):
        raise IndexError("a Tensor used as an index must hold whole numbers")
    return data.astype(np.intp)


def _is_basic_index(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        (isinstance(p, int | np.integer) and not isinstance(p, bool))
        or isinstance(p, slice)
        or p is Ellipsis
        or p is None
        for p in parts
    )


__all__ = ["ShapeOps"]
