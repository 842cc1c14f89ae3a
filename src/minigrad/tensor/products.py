"""Matrix products: the one op whose local rule is another matrix product (`dA = dC @ B^T`, `dB = A^T @ dC`).

`a @ b` follows NumPy's rules: batch dims broadcast, and a 1-D operand is a vector (promoted to a matrix,
then the promoted axis dropped again). Backward works on the promoted shapes, where the two rules hold as
written, then sums the broadcast batch dims away and drops the promoted axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from minigrad._broadcast import unbroadcast
from minigrad.tensor.base import Operand, TensorBase

if TYPE_CHECKING:
    from minigrad.tensor.core import Tensor


class ProductOps(TensorBase):
    __slots__ = ()

    def __matmul__(self, other: Operand) -> Tensor:
        return matmul(self, self._lift(other))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return matmul(self._lift(other), self)

    def matmul(self, other: Operand) -> Tensor:
        return matmul(self, self._lift(other))


def matmul(a: TensorBase, b: TensorBase) -> Tensor:
    """`a @ b` with NumPy's rules (see the module docstring)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul needs operands with at least one dimension, got shapes {a.shape} and {b.shape} "
            "(use * for scalars)"
        )
    a2 = a.data if a.ndim > 1 else a.data[None, :]  # (1, k) for a vector on the left
    b2 = b.data if b.ndim > 1 else b.data[:, None]  # (k, 1) for a vector on the right
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(
            f"matmul shapes {a.shape} and {b.shape} do not align: {a2.shape[-1]} != {b2.shape[-2]}"
        )
    parents = cast("tuple[Tensor, Tensor]", (a, b))  # every TensorBase is a Tensor at run time
    if a.ndim > 2 and b.ndim == 2:
        return _folded_matmul(a, b, parents)
    out = a._make(np.matmul(a.data, b.data), parents, "matmul")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            if b.ndim == 1:
                g = np.expand_dims(g, -1)
            if a.ndim == 1:
                g = np.expand_dims(g, -2)  # g now has the promoted (..., n, p) shape
            if a.requires_grad:
                ga = np.matmul(g, np.swapaxes(b2, -1, -2))  # (..., n, k)
                a._accumulate(unbroadcast(ga, a2.shape).reshape(a.shape), "matmul")
            if b.requires_grad:
                gb = np.matmul(np.swapaxes(a2, -1, -2), g)  # (..., k, p)
                b._accumulate(unbroadcast(gb, b2.shape).reshape(b.shape), "matmul")

        out._backward = _backward
    return out


def _folded_matmul(a: TensorBase, b: TensorBase, parents: tuple[Tensor, Tensor]) -> Tensor:
    """(..., n, k) @ (k, p) as one (N, k) @ (k, p) product over the folded rows, N = prod(...) · n.

    This is the layer-times-weight case (every projection of a transformer). NumPy would treat the leading
    axes as a batch of small products, and the weight's gradient would then be a stack of (k, p) partial
    products summed afterwards; folding makes both the forward and the weight gradient a single large GEMM,
    which BLAS runs several times faster.
    """
    k, p = b.data.shape
    lead = a.data.shape[:-1]
    a2 = a.data.reshape(-1, k)  # (N, k), a view when a is contiguous
    out = a._make((a2 @ b.data).reshape(*lead, p), parents, "matmul")  # (..., n, p)
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            g2 = g.reshape(-1, p)  # (N, p)
            if a.requires_grad:
                a._accumulate((g2 @ b.data.T).reshape(a.data.shape), "matmul")  # (..., n, k)
            if b.requires_grad:
                b._accumulate(a2.T @ g2, "matmul")  # (k, p)

        out._backward = _backward
    return out


__all__ = ["ProductOps", "matmul"]
