"""minigrad.scalar.Value against PyTorch float64 autograd: every op, and random expression DAGs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.scalar import Value

# ----------------------------------------------------------------------------- PyTorch float64 oracle

torch = pytest.importorskip("torch", reason="PyTorch is the float64 oracle for gradients")

UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[torch.Tensor], torch.Tensor]]] = {
    "neg": (lambda v: -v, lambda t: -t),
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "relu": (lambda v: v.relu(), torch.relu),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "pow3": (lambda v: v**3, lambda t: t**3),
    "pow-0.5": (lambda v: v**-0.5, lambda t: t**-0.5),
    "pow0.5": (lambda v: v**0.5, lambda t: t**0.5),
    "rpow": (lambda v: 3.0**v, lambda t: 3.0**t),
}

BINARY: dict[
    str,
    tuple[Callable[[Value, Value], Value], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]],
] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "radd": (lambda a, b: 2.5 + a * b, lambda a, b: 2.5 + a * b),
    "rsub": (lambda a, b: 2.5 - a * b, lambda a, b: 2.5 - a * b),
    "rdiv": (lambda a, b: 2.5 / (a + b), lambda a, b: 2.5 / (a + b)),
}


def _torch_leaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [0.3, 1.7, 2.9])
def test_unary_ops_match_torch(name: str, x: float) -> None:
    ours, theirs = UNARY[name]
    v, t = Value(x), _torch_leaf(x)
    out = ours(v.tanh() * 2.0)  # a chain rule step in front of every op
    out.backward()
    ref = theirs(torch.tanh(t) * 2.0)
    ref.backward()
    assert abs(out.data - ref.item()) < 1e-9
    assert abs(v.grad - t.grad.item()) < 1e-9


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(("x", "y"), [(0.4, 1.3), (-2.0, 0.7), (3.1, -1.9)])
def test_binary_ops_match_torch(name: str, x: float, y: float) -> None:
    ours, theirs = BINARY[name]
    a, b = Value(x), Value(y)
    ta, tb = _torch_leaf(x), _torch_leaf(y)
    out = ours(a, b)
    out.backward()
    ref = theirs(ta, tb)
    ref.backward()
    assert abs(out.data - ref.item()) < 1e-9
    assert abs(a.grad - ta.grad.item()) < 1e-9
    assert abs(b.grad - tb.grad.item()) < 1e-9


OPS = ["add", "sub", "mul", "div", "tanh", "sigmoid", "relu", "exp_small", "square"]


@settings(max_examples=100, deadline=None)
@given(
    start=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3),
    program=st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 10), st.integers(0, 10)),
        min_size=1,
        max_size=12,
    ),
)
def test_random_expressions_match_torch(
    start: list[float], program: list[tuple[str, int, int]]
) -> None:
    """Random DAGs (operands reused freely, so diamonds are common) against torch autograd."""
    ours: list[Value] = [Value(x) for x in start]
    theirs: list[torch.Tensor] = [_torch_leaf(x) for x in start]
    leaves_ours, leaves_theirs = list(ours), list(theirs)
    for op, i, j in program:
        a, b = ours[i % len(ours)], ours[j % len(ours)]
        ta, tb = theirs[i % len(theirs)], theirs[j % len(theirs)]
        if op == "add":
            ours.append(a + b)
            theirs.append(ta + tb)
        elif op == "sub":
            ours.append(a - b)
            theirs.append(ta - tb)
        elif op == "mul":
            ours.append(a * b)
            theirs.append(ta * tb)
        elif op == "div":
            ours.append(a / (b * b + 1.0))
            theirs.append(ta / (tb * tb + 1.0))
        elif op == "tanh":
            ours.append(a.tanh())
            theirs.append(torch.tanh(ta))
        elif op == "sigmoid":
            ours.append(a.sigmoid())
            theirs.append(torch.sigmoid(ta))
        elif op == "relu":
            ours.append(a.relu())
            theirs.append(torch.relu(ta))
        elif op == "exp_small":
            ours.append((a.tanh()).exp())
            theirs.append(torch.exp(torch.tanh(ta)))
        else:
            ours.append(a**2)
            theirs.append(ta**2)
    out, ref = ours[-1] * ours[0], theirs[-1] * theirs[0]
    out.backward()
    ref.backward()
    scale = max(1.0, abs(ref.item()))
    assert abs(out.data - ref.item()) <= 1e-9 * scale
    for v, t in zip(leaves_ours, leaves_theirs, strict=True):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert abs(v.grad - expected) <= 1e-9 * max(1.0, abs(expected))
