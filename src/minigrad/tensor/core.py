"""The `Tensor` node: an `np.ndarray`, its gradient, its parents, and the backward pass over them.

This is the phase-07 algorithm (`minigrad.scalar`) with arrays: every op records its parents and a backward
closure, and `backward()` walks the graph in reverse topological order. The ops themselves live in the
mixin files; this one builds the nodes they return:

- `_make` decides whether a result records anything (only when grad mode is on and a parent requires grad);
- `_unary` / `_binary` attach the closure that applies an op's local derivative to the upstream gradient,
  and for binary ops sums it back down to each parent's shape (reverse broadcasting);
- `_accumulate` adds one path's contribution and checks its shape, which catches a backward rule that lost
  a broadcast.

A backward closure is called with its own node (`node._backward(node)`) rather than capturing it, so a graph
holds no reference cycles and its activations are freed as soon as it is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad._broadcast import unbroadcast
from minigrad.graph import topological_order
from minigrad.tensor.base import Array, LocalGrad, Operand, as_float_array
from minigrad.tensor.elementwise import ElementwiseOps
from minigrad.tensor.products import ProductOps
from minigrad.tensor.reductions import ReductionOps
from minigrad.tensor.shape import ShapeOps

#: The name the course uses for reverse broadcasting; `minigrad._broadcast.unbroadcast` is the same function.
_unbroadcast = unbroadcast


class _GradMode(threading.local):
    """Per-thread switch, so a server thread inside `no_grad()` cannot silence a training thread."""

    enabled: bool = True


_grad_mode = _GradMode()


@contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results do not require grad and keep no parents (inference, updates)."""
    previous = _grad_mode.enabled
    _grad_mode.enabled = False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def is_grad_enabled() -> bool:
    return _grad_mode.enabled


def _noop(node: Tensor) -> None:
    """Leaves have nothing to propagate."""


def _make(data: Array, parents: tuple[Tensor, ...], op: str) -> Tensor:
    """A result node: it requires grad (and keeps its parents) only if recording is on and a parent does."""
    requires = _grad_mode.enabled and any(p.requires_grad for p in parents)
    return Tensor(data, requires, _prev=parents if requires else (), _op=op)


class Tensor(ElementwiseOps, ReductionOps, ShapeOps, ProductOps):
    """An `np.ndarray` that remembers how it was computed, so gradients can flow back through it."""

    __slots__ = ("_backward", "_op", "_prev", "data", "grad", "requires_grad")

    # Make `ndarray + Tensor` call `Tensor.__radd__` instead of NumPy looping over the tensor as an object.
    __array_ufunc__ = None

    data: Array
    grad: Array | None
    requires_grad: bool
    _prev: tuple[Tensor, ...]
    _op: str
    _backward: Callable[[Tensor], None]

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        dtype: npt.DTypeLike | None = None,
        _prev: tuple[Tensor, ...] = (),
        _op: str = "",
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = as_float_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._prev = _prev
        self._op = _op
        self._backward = _noop

    # ------------------------------------------------------------------ basics

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return int(self.data.shape[0])

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, edgeitems=2, separator=", ")
        extras = ""
        if self.requires_grad:
            extras += ", requires_grad=True"
        if self._op:
            extras += f", op={self._op!r}"
        return f"Tensor({body}, shape={self.shape}, dtype={self.data.dtype}{extras})"

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.shape}"
            )
        return float(self.data.reshape(()))

    def numpy(self) -> Array:
        """The underlying array (shared, not copied): treat it as read-only while a graph uses it."""
        return self.data

    def detach(self) -> Tensor:
        """Same data, no history: gradients stop here."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`None`, like PyTorch's default `set_to_none=True`)."""
        self.grad = None

    # ------------------------------------------------------------------ building nodes

    _make = staticmethod(_make)

    def _unary(self, data: Array, op: str, dx: LocalGrad) -> Tensor:
        """The result of a one-input op whose local derivative is `dx(upstream gradient)`."""
        out = _make(data, (self,), op)
        if out.requires_grad:

            def _backward(out: Tensor) -> None:
                if out.grad is not None:
                    self._accumulate(dx(out.grad), op)

            out._backward = _backward
        return out

    def _binary(self, other: Tensor, data: Array, op: str, da: LocalGrad, db: LocalGrad) -> Tensor:
        """An elementwise op with broadcasting: each parent's local gradient is summed back to its shape."""
        out = _make(data, (self, other), op)
        if out.requires_grad:

            def _backward(out: Tensor) -> None:
                g = out.grad
                if g is None:
                    return
                if self.requires_grad:
                    self._accumulate(unbroadcast(da(g), self.data.shape), op)
                if other.requires_grad:
                    other._accumulate(unbroadcast(db(g), other.data.shape), op)

            out._backward = _backward
        return out

    def _lift(self, value: Operand) -> Tensor:
        """A number or array as a constant tensor; numbers take this tensor's dtype (float32 stays float32)."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, bool | int | float | np.number):
            return Tensor(np.asarray(value, dtype=self.data.dtype))
        if isinstance(value, np.ndarray | list | tuple):
            arr = np.asarray(value)
            if arr.dtype.kind != "f":
                arr = as_float_array(arr, self.data.dtype)
            return Tensor(arr)
        raise TypeError(f"cannot combine a Tensor with {type(value).__name__}")

    # ------------------------------------------------------------------ the backward pass

    def _accumulate(self, grad: Array, op: str) -> None:
        """Add one path's contribution; the shape check catches any backward rule that lost a broadcast."""
        if grad.shape != self.data.shape:
            raise RuntimeError(
                f"backward of {op!r} produced a gradient of shape {grad.shape} for a tensor of shape "
                f"{self.data.shape}: a reverse-broadcast (unbroadcast) step is missing or wrong"
            )
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        if self.grad is not None:
            self.grad = self.grad + grad
        elif self._prev:
            # an intermediate result: backward rules never write into a gradient, so the array a rule
            # returned (perhaps shared with a sibling, or a read-only broadcast view) is kept without a copy
            self.grad = grad
        else:
            self.grad = np.array(
                grad
            )  # a leaf owns a writable gradient, never an alias of another node's

    def _topological_order(self) -> list[Tensor]:
        """Nodes that require grad, parents before children (`minigrad.graph`)."""
        return topological_order(self, lambda node: (p for p in node._prev if p.requires_grad))

    def backward(self, grad: Operand | None = None) -> None:
        """Propagate d(self)/d(node) to every tensor that requires grad.

        Without `grad`, `self` must hold a single number (a loss). Leaves accumulate across calls, as in
        PyTorch; intermediate results are reset first so a second call does not double-count paths.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: create the inputs with "
                "requires_grad=True (and not inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a non-scalar tensor of shape {self.shape} needs an explicit "
                    "grad of the same shape (or reduce it first, e.g. .sum())"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward(grad) needs a grad of shape {self.shape}, got {seed.shape}"
                )
        order = self._topological_order()
        for node in order:
            if node._prev:
                node.grad = None
        self._accumulate(seed, "backward")
        for node in reversed(order):
            node._backward(node)


def zero_grad(tensors: Iterable[Tensor]) -> None:
    """Reset the gradients of `tensors` (typically a model's parameters) before the next backward."""
    for t in tensors:
        t.grad = None


__all__ = ["Tensor", "is_grad_enabled", "no_grad", "zero_grad"]
