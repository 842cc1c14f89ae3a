"""Phase 07: reverse-mode automatic differentiation on single Python floats.

Every arithmetic operation on a `Value` records its parents and a closure that knows the operation's local
derivative; `backward()` walks the recorded graph in reverse topological order and lets each closure add its
contribution to its parents' `.grad`. Nothing here uses NumPy: the point of the phase is that the whole
algorithm fits in one readable file, and the tensor engine of phase 08 is this same algorithm with arrays.

Conventions (they matter for the oracle tests):

- gradients *accumulate* (`+=`): a value used twice receives the sum of both paths, and `backward()` never
  zeroes anything, so call `zero_grad()` between optimisation steps;
- `relu'(0) = 0`, as in PyTorch;
- the exponent of `**` must be a plain number (a `Value` exponent raises `TypeError`);
- `log` of a non-positive number and division by zero raise instead of producing `inf`/`nan`;
- the topological sort is iterative, so graphs deeper than Python's recursion limit are fine;
- a backward closure receives its own node as an argument (`node._backward(node)`) instead of capturing it:
  a closure that captured `out` would form a reference cycle (out -> closure -> out), so every graph would
  be garbage that only the cyclic collector can free, and on large graphs that collector dominates the run
  time. Without cycles, reference counting frees a graph the moment the last name for it goes away.

The file is written to be read, not tuned: speed tricks (pausing the cyclic collector across a training step,
`minigrad.gcpause`) live with the code that measures them, the `08-autograd-speed` lab.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from minigrad.graph import topological_order

Number = int | float


def _is_real(x: object) -> bool:
    """Runtime guard for callers that ignore the type hints; NumPy's scalars count as `numbers.Real`.

    `float` and `int` come first in the tuple: they match without the ABC machinery of `numbers.Real`."""
    return isinstance(x, (float, int, numbers.Real))


def _noop(node: Value) -> None:
    """Leaves have nothing to propagate; one shared function avoids a new lambda per leaf."""


def _as_value(other: Value | Number) -> Value:
    if isinstance(other, Value):
        return other
    if _is_real(other):
        return Value(other)
    raise TypeError(
        f"cannot combine a Value with {type(other).__name__}; use a Value, int or float"
    )


class Value:
    """One float in a computation graph, with the gradient of the final output with respect to it."""

    __slots__ = ("_backward", "_op", "_prev", "data", "grad", "label")

    data: float
    grad: float
    _prev: tuple[Value, ...]
    _op: str
    _backward: Callable[[Value], None]
    label: str

    def __init__(
        self,
        data: Number,
        _prev: tuple[Value, ...] = (),
        _op: str = "",
        *,
        label: str = "",
    ) -> None:
        if not _is_real(data):
            raise TypeError(
                f"Value(data) needs a real number, got {type(data).__name__} "
                "(to reuse a Value, use it directly)"
            )
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev
        self._op = _op
        self._backward = _noop
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.4f}, grad={self.grad:.4f})"

    # ------------------------------------------------------------------ binary operators

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)  # micrograd's idiom
        out = Value(self.data + other.data, (self, other), "+")

        def _backward(out: Value) -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)  # micrograd's idiom
        out = Value(self.data * other.data, (self, other), "*")

        def _backward(out: Value) -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __sub__(self, other: Value | Number) -> Value:
        # A native node rather than `self + (-other)`: one node instead of three, same derivative.
        other = other if isinstance(other, Value) else _as_value(other)  # micrograd's idiom
        out = Value(self.data - other.data, (self, other), "-")

        def _backward(out: Value) -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __truediv__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _as_value(other)  # micrograd's idiom
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value division by zero ({self.data!r} / 0.0)")
        out = Value(self.data / other.data, (self, other), "/")

        def _backward(out: Value) -> None:
            self.grad += out.grad / other.data
            other.grad -= out.grad * self.data / (other.data * other.data)

        out._backward = _backward
        return out

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    def __pow__(self, exponent: Number) -> Value:
        if not _is_real(exponent):
            raise TypeError(
                "Value ** exponent needs a constant int or float exponent; "
                f"got {type(exponent).__name__} (use exp(log(x) * y) for a variable exponent)"
            )
        if self.data == 0.0 and exponent < 0:
            raise ZeroDivisionError(f"0.0 ** {exponent} is undefined")
        p = float(exponent)
        out = Value(self.data**p, (self,), f"**{exponent:g}")

        def _backward(out: Value) -> None:
            self.grad += p * self.data ** (p - 1.0) * out.grad

        out._backward = _backward
        return out

    def __rpow__(self, base: Number) -> Value:
        if not isinstance(base, int | float) or base <= 0:
            raise ValueError(f"number ** Value needs a positive base, got {base!r}")
        return (self * math.log(base)).exp()

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward(out: Value) -> None:
            self.grad -= out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ unary functions

    def exp(self) -> Value:
        try:
            result = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data!r}) overflows a float") from None
        out = Value(result, (self,), "exp")

        def _backward(out: Value) -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0.0:
            raise ValueError(f"log needs a positive input, got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward(out: Value) -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        # One native node (derivative 1 - tanh^2) instead of five exp/add/div nodes.
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward(out: Value) -> None:
            self.grad += (1.0 - out.data * out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(self.data if self.data > 0.0 else 0.0, (self,), "relu")

        def _backward(out: Value) -> None:
            if self.data > 0.0:  # the subgradient at 0 is 0, as in PyTorch
                self.grad += out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        x = self.data
        # Two branches so that exp never sees a large positive argument.
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward(out: Value) -> None:
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ the algorithm

    def topological_order(self) -> list[Value]:
        """Every node this value depends on, each after all of its parents (`minigrad.graph`)."""
        return topological_order(self, lambda node: node._prev)

    def backward(self) -> None:
        """Add d(self)/d(leaf) to the `.grad` of every leaf of the graph (and set it on every result).

        Leaves are not reset first: a training step must zero them itself (`zero_grad`). Intermediate results
        start from zero on every call, so a second `backward()` adds each path exactly once more instead of
        re-sending the gradients the first call left behind.
        """
        order = self.topological_order()
        for node in order:
            if node._prev:  # results get fresh gradients; only leaves accumulate across calls
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward(node)

    def to_dot(self, *, rankdir: str = "LR") -> str:
        """The graph as Graphviz DOT text: one record per value (label | data | grad), one ellipse per op.

        Render it with `dot -Tsvg graph.dot -o graph.svg`; no Graphviz binding is needed to produce it.
        """
        if rankdir not in {"LR", "TB", "RL", "BT"}:
            raise ValueError(f"rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
        order = self.topological_order()
        ids = {id(node): f"v{i}" for i, node in enumerate(order)}
        lines = ["digraph value_graph {", f"  rankdir={rankdir};", "  node [fontname=Helvetica];"]
        for node in order:
            name = ids[id(node)]
            label = _dot_escape(node.label) if node.label else name
            lines.append(
                f'  {name} [shape=record, label="{{ {label} | data {node.data:.4f} '
                f'| grad {node.grad:.4f} }}"];'
            )
            if node._op:
                lines.append(f'  {name}_op [shape=ellipse, label="{_dot_escape(node._op)}"];')
                lines.append(f"  {name}_op -> {name};")
                lines.extend(f"  {ids[id(parent)]} -> {name}_op;" for parent in node._prev)
        lines.append("}")
        return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    """Characters that would end a DOT record label or string early."""
    for char in '\\"{}|<>':
        text = text.replace(char, "\\" + char)
    return text


def zero_grad(values: Iterable[Value]) -> None:
    """Reset the gradients of `values` (typically a model's parameters) before the next backward pass."""
    for value in values:
        value.grad = 0.0


__all__ = ["Number", "Value", "zero_grad"]
