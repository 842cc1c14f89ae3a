"""Phase 08: the phase-07 algorithm lifted to NumPy arrays.

A `Tensor` wraps one `np.ndarray` and, like `minigrad.scalar.Value`, records its parents and a backward
closure. Three things are new compared with scalars, and each has a home here:

1. broadcasting — the forward pass may stretch an operand, so its backward must sum the gradient back down
   (`_unbroadcast`, used by every binary op, matmul included);
2. reductions and shape ops (`sum/mean/max` with `axis`/`keepdims`, `reshape`, `transpose`, indexing,
   `concatenate`/`stack`), whose backward re-inserts or scatters what the forward removed or gathered;
3. matrix products, whose local rule is another matrix product (`dA = dC @ B^T`, `dB = A^T @ dC`).

Design rules (DESIGN.md §3): the tensor keeps the floating dtype it is given (float32 for models, float64
for gradchecks; integer input becomes float64); Python numbers are cast to the other operand's dtype so they
never promote float32 to float64; ops are functional — nothing mutates a tensor's data in place; gradients
are created lazily (`grad is None` until a backward pass reaches the tensor) and accumulate across passes on
leaves, while the intermediate results of a graph get fresh gradients on every `backward()`. As in
`minigrad.scalar`, a backward closure is called with its own node (`node._backward(node)`) rather than
capturing it, so a graph holds no reference cycles and its activations are freed as soon as it is dropped.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from minigrad._broadcast import normalize_axes, unbroadcast

Array: TypeAlias = npt.NDArray[Any]
Operand: TypeAlias = "Tensor | float | int | npt.NDArray[Any]"
Axis: TypeAlias = int | tuple[int, ...] | None

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


def _is_real(x: object) -> bool:
    """Runtime guard for callers that ignore the type hints (numpy scalars count as numbers)."""
    return isinstance(x, numbers.Real)


def _noop(node: Tensor) -> None:
    """Leaves have nothing to propagate."""


def _as_float_array(data: Any, dtype: npt.DTypeLike | None) -> Array:
    arr = np.asarray(data, dtype=dtype)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"Tensor data must be real numbers; got an array of dtype {arr.dtype} "
        "(pass floats, ints or a float ndarray)"
    )


class Tensor:
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
        self.data = _as_float_array(data, dtype)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._prev = _prev
        self._op = _op
        self._backward = _noop

    # ------------------------------------------------------------------ basics

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return int(self.data.ndim)

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

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

    # ------------------------------------------------------------------ graph plumbing

    def _accumulate(self, grad: Array, op: str) -> None:
        """Add one path's contribution; the shape check catches any backward rule that lost a broadcast."""
        if grad.shape != self.data.shape:
            raise RuntimeError(
                f"backward of {op!r} produced a gradient of shape {grad.shape} for a tensor of shape "
                f"{self.data.shape}: a reverse-broadcast (unbroadcast) step is missing or wrong"
            )
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        self.grad = np.array(grad) if self.grad is None else self.grad + grad

    def _topological_order(self) -> list[Tensor]:
        """Nodes that require grad, parents before children (iterative DFS, no recursion limit)."""
        order: list[Tensor] = []
        entered: set[Tensor] = set()  # identity hashing: Tensor does not override __eq__/__hash__
        done: set[Tensor] = set()
        stack: list[Tensor] = [self]
        while stack:
            node = stack.pop()
            if node in entered:  # second visit: every parent is already in `order`
                if node not in done:
                    done.add(node)
                    order.append(node)
                continue
            entered.add(node)
            stack.append(node)  # come back to it after its parents
            stack.extend(p for p in node._prev if p.requires_grad and p not in entered)
        return order

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

    # ------------------------------------------------------------------ elementwise arithmetic

    def __add__(self, other: Operand) -> Tensor:
        other = _lift(other, self)
        return _binary(self, other, self.data + other.data, "add", _identity, _identity)

    def __radd__(self, other: Operand) -> Tensor:
        return _lift(other, self) + self

    def __sub__(self, other: Operand) -> Tensor:
        other = _lift(other, self)
        return _binary(self, other, self.data - other.data, "sub", _identity, np.negative)

    def __rsub__(self, other: Operand) -> Tensor:
        return _lift(other, self) - self

    def __mul__(self, other: Operand) -> Tensor:
        other = _lift(other, self)
        a, b = self.data, other.data
        return _binary(self, other, a * b, "mul", lambda g: g * b, lambda g: g * a)

    def __rmul__(self, other: Operand) -> Tensor:
        return _lift(other, self) * self

    def __truediv__(self, other: Operand) -> Tensor:
        other = _lift(other, self)
        a, b = self.data, other.data
        if np.any(b == 0):
            raise ZeroDivisionError(f"Tensor division by a divisor with zeros (shape {b.shape})")
        quotient = a / b
        return _binary(self, other, quotient, "div", lambda g: g / b, lambda g: -g * quotient / b)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _lift(other, self) / self

    def __neg__(self) -> Tensor:
        return _unary(self, -self.data, "neg", np.negative)

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
            return _unary(self, x * x, "pow2", lambda g: g * (x + x))
        return _unary(self, x**p, f"pow{exponent:g}", lambda g: g * p * x ** (p - 1.0))

    # ------------------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        y = np.exp(self.data)
        return _unary(self, y, "exp", lambda g: g * y)

    def log(self) -> Tensor:
        x = self.data
        if np.any(x <= 0):
            bad = tuple(int(i) for i in np.argwhere(x <= 0)[0])
            raise ValueError(
                f"log needs positive inputs; found {x[bad]!r} at index {bad} of a tensor of shape "
                f"{self.shape}"
            )
        return _unary(self, np.log(x), "log", lambda g: g / x)

    def tanh(self) -> Tensor:
        y = np.tanh(self.data)
        return _unary(self, y, "tanh", lambda g: g * (1.0 - y * y))

    def sigmoid(self) -> Tensor:
        x = self.data
        e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
        y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return _unary(self, y, "sigmoid", lambda g: g * y * (1.0 - y))

    def relu(self) -> Tensor:
        x = self.data
        mask = x > 0  # relu'(0) = 0, as in PyTorch
        return _unary(
            self, np.where(mask, x, 0).astype(x.dtype, copy=False), "relu", lambda g: g * mask
        )

    def gelu(self) -> Tensor:
        """GELU, tanh approximation (PyTorch's `approximate="tanh"`, GPT-2's choice)."""
        x = self.data
        c = math.sqrt(2.0 / math.pi)  # a Python float, so float32 inputs stay float32
        inner = c * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        y = 0.5 * x * (1.0 + t)

        def dx(g: Array) -> Array:
            dinner = c * (1.0 + 3.0 * 0.044715 * x * x)
            return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dinner)

        return _unary(self, y.astype(x.dtype, copy=False), "gelu", dx)

    def astype(self, dtype: npt.DTypeLike) -> Tensor:
        """A differentiable cast: the gradient comes back in this tensor's dtype."""
        return _unary(self, _as_float_array(self.data, dtype), "astype", _identity)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        axes = normalize_axes(axis, self.ndim)
        shape = self.data.shape

        def dx(g: Array) -> Array:
            if not keepdims:
                g = np.expand_dims(g, axes)
            return np.broadcast_to(g, shape)

        return _unary(self, self.data.sum(axis=axes, keepdims=keepdims), "sum", dx)

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

        return _unary(self, self.data.mean(axis=axes, keepdims=keepdims), "mean", dx)

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

        return _unary(self, data, "max", dx)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return -((-self).max(axis=axis, keepdims=keepdims))

    # ------------------------------------------------------------------ shape ops

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """`reshape(2, 3)` or `reshape((2, 3))`; one entry may be -1. No data moves, so backward only reshapes."""
        target = _shape_arg(shape)
        old = self.data.shape
        return _unary(self, self.data.reshape(target), "reshape", lambda g: g.reshape(old))

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
        return _unary(self, self.data.transpose(perm), "transpose", lambda g: g.transpose(inverse))

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
        return _unary(
            self,
            np.broadcast_to(self.data, target),
            "broadcast_to",
            lambda g: _unbroadcast(g, old),
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

        return _unary(self, x[key], "getitem", dx)

    # ------------------------------------------------------------------ matrix product

    def __matmul__(self, other: Operand) -> Tensor:
        return matmul(self, _lift(other, self))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return matmul(_lift(other, self), self)

    def matmul(self, other: Operand) -> Tensor:
        return matmul(self, _lift(other, self))


# ---------------------------------------------------------------------- node helpers


def _identity(g: Array) -> Array:
    return g


def _make(data: Array, parents: tuple[Tensor, ...], op: str) -> Tensor:
    """A result node: it requires grad (and keeps its parents) only if recording is on and a parent does."""
    requires = _grad_mode.enabled and any(p.requires_grad for p in parents)
    return Tensor(data, requires, _prev=parents if requires else (), _op=op)


def _unary(x: Tensor, data: Array, op: str, dx: Callable[[Array], Array]) -> Tensor:
    out = _make(data, (x,), op)
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            if out.grad is not None:
                x._accumulate(dx(out.grad), op)

        out._backward = _backward
    return out


def _binary(
    a: Tensor,
    b: Tensor,
    data: Array,
    op: str,
    da: Callable[[Array], Array],
    db: Callable[[Array], Array],
) -> Tensor:
    """An elementwise op with broadcasting: each parent's local gradient is summed back to its shape."""
    out = _make(data, (a, b), op)
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            if a.requires_grad:
                a._accumulate(_unbroadcast(da(g), a.data.shape), op)
            if b.requires_grad:
                b._accumulate(_unbroadcast(db(g), b.data.shape), op)

        out._backward = _backward
    return out


def _lift(value: Operand, like: Tensor) -> Tensor:
    """Wrap a number or array as a constant tensor; numbers take `like`'s dtype so float32 stays float32."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, bool | int | float | np.number):
        return Tensor(np.asarray(value, dtype=like.data.dtype))
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.asarray(value)
        if arr.dtype.kind != "f":
            arr = _as_float_array(arr, like.data.dtype)
        return Tensor(arr)
    raise TypeError(f"cannot combine a Tensor with {type(value).__name__}")


def _shape_arg(args: tuple[int | Sequence[int], ...]) -> tuple[int, ...]:
    if len(args) == 1 and not isinstance(args[0], int | np.integer):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)  # type: ignore[arg-type]


def _index_arg(key: Any) -> Any:
    """Tensors used as indices become their integer arrays."""
    if isinstance(key, Tensor):
        return _tensor_index(key)
    if isinstance(key, tuple):
        return tuple(_tensor_index(k) if isinstance(k, Tensor) else k for k in key)
    return key


def _tensor_index(t: Tensor) -> Array:
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


# ---------------------------------------------------------------------- module-level ops


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """`a @ b` with NumPy's rules: batch dims broadcast, a 1-D operand is a vector (promoted, then dropped).

    Backward works on the promoted 2-D-or-more shapes, where the rules are `dA = dC @ B^T` and
    `dB = A^T @ dC`, then sums away broadcast batch dims and drops the promoted axes again.
    """
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
    out = _make(np.matmul(a.data, b.data), (a, b), "matmul")
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
                a._accumulate(_unbroadcast(ga, a2.shape).reshape(a.shape), "matmul")
            if b.requires_grad:
                gb = np.matmul(np.swapaxes(a2, -1, -2), g)  # (..., k, p)
                b._accumulate(_unbroadcast(gb, b2.shape).reshape(b.shape), "matmul")

        out._backward = _backward
    return out


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


def zero_grad(tensors: Iterable[Tensor]) -> None:
    """Reset the gradients of `tensors` (typically a model's parameters) before the next backward."""
    for t in tensors:
        t.grad = None


__all__ = [
    "Tensor",
    "cat",
    "concatenate",
    "is_grad_enabled",
    "matmul",
    "no_grad",
    "stack",
    "zero_grad",
]
