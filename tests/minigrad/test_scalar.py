"""minigrad.scalar.Value: hand-derived examples, PyTorch float64 oracles, graph mechanics, errors."""

from __future__ import annotations

import math
import sys

import pytest

from minigrad.scalar import Value, zero_grad

# ----------------------------------------------------------------------------- hand-derived values


def test_construction_and_repr() -> None:
    v = Value(2.5, label="x")
    assert v.data == 2.5 and isinstance(v.data, float)
    assert v.grad == 0.0 and isinstance(v.grad, float)
    assert v._prev == () and v._op == ""
    assert "2.5" in repr(v) and "x" in repr(v)


def test_value_has_slots_and_no_instance_dict() -> None:
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.extra = 1  # type: ignore[attr-defined]


def test_backward_on_leaf_seeds_one() -> None:
    v = Value(2.5)
    v.backward()
    assert v.grad == 1.0


def test_diamond_worked_example() -> None:
    # L = (a*b + c) * (a - c) at a=2, b=3, c=4, by the product rule:
    # dL/da = b*(a-c) + (ab+c) = 3*(-2) + 10 = 4;  dL/db = a*(a-c) = -4;  dL/dc = (a-c) - (ab+c) = -12.
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    loss = (a * b + c) * (a - c)
    loss.backward()
    assert loss.data == -20.0
    assert (a.grad, b.grad, c.grad) == (4.0, -4.0, -12.0)


def test_node_used_twice_accumulates() -> None:
    a, b = Value(2.0), Value(5.0)
    d = a * b + a  # dd/da = b + 1
    d.backward()
    assert a.grad == 6.0 and b.grad == 2.0
    x = Value(3.0)
    (x * x).backward()  # both operands are the same node
    assert x.grad == 6.0


def test_tanh_neuron_by_hand() -> None:
    # n = x1*w1 + x2*w2 + b chosen so that tanh(n) = 1/sqrt(2); then 1 - tanh(n)^2 = 1/2 exactly.
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.0 + math.atanh(1 / math.sqrt(2)))
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert x1.grad == pytest.approx(-1.5, abs=1e-12)  # w1 * 1/2
    assert w1.grad == pytest.approx(1.0, abs=1e-12)  # x1 * 1/2
    assert x2.grad == pytest.approx(0.5, abs=1e-12)  # w2 * 1/2
    assert w2.grad == 0.0  # x2 is 0


def test_closures_capture_their_own_operands() -> None:
    xs = [Value(float(i)) for i in range(5)]
    total = Value(0.0)
    for x in xs:
        total = total + x
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5


def test_relu_subgradient_at_zero_is_zero() -> None:
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    y = Value(-1e-12)
    y.relu().backward()
    assert y.grad == 0.0


def test_reflected_operators() -> None:
    x = Value(2.0)
    assert (3 + x).data == 5.0
    assert (3 - x).data == 1.0
    assert (3 * x).data == 6.0
    y = 1 / x
    y.backward()
    assert y.data == 0.5 and x.grad == -0.25
    z = Value(1.5)
    w = 2**z
    w.backward()
    assert w.data == pytest.approx(2**1.5) and z.grad == pytest.approx(math.log(2) * 2**1.5)


def test_pow_zero_follows_python() -> None:
    assert (Value(0.0) ** 0).data == 1.0


# ----------------------------------------------------------------------------- graph mechanics


def test_deep_graph_beyond_the_recursion_limit() -> None:
    depth = 12_000
    assert depth > sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y * 1.0 + 0.0001
    y.backward()
    assert x.grad == pytest.approx(1.0)
    assert len(y.topological_order()) == 1 + 4 * depth  # x, and per step: 2 constants + 2 results


def test_topological_order_puts_parents_first() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = d.topological_order()
    position = {id(v): i for i, v in enumerate(order)}
    for node in order:
        for parent in node._prev:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is d


def test_second_backward_adds_exactly_once_more() -> None:
    a, b = Value(2.0), Value(3.0)
    out = (a * b).tanh() * a
    out.backward()
    first = a.grad
    out.backward()
    assert a.grad == pytest.approx(2 * first, rel=1e-12)
    zero_grad([a, b])
    out.backward()
    assert a.grad == pytest.approx(first, rel=1e-12)


def test_to_dot_labels_every_node() -> None:
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(4.0, label="c")
    loss = (a * b + c) * (a - c)
    loss.label = "L"
    loss.backward()
    dot = loss.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("shape=record") == 7  # a, b, c, ab, ab+c, a-c, L
    assert dot.count("shape=ellipse") == 4  # *, +, -, *
    assert "{ L | data -20.0000 | grad 1.0000 }" in dot
    assert "{ a | data 2.0000 | grad 4.0000 }" in dot
    assert "-> " in dot
    with pytest.raises(ValueError, match="rankdir"):
        loss.to_dot(rankdir="sideways")


def test_to_dot_escapes_labels() -> None:
    v = Value(1.0, label='x{"1"}|y')
    dot = v.to_dot()
    assert '\\{\\"1\\"\\}\\|' in dot


# ----------------------------------------------------------------------------- errors


def test_pow_with_value_exponent_raises() -> None:
    with pytest.raises(TypeError, match="constant int or float"):
        Value(2.0) ** Value(3.0)  # type: ignore[operator]


def test_log_of_non_positive_raises() -> None:
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()


def test_division_by_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1


def test_exp_overflow_names_the_input() -> None:
    with pytest.raises(OverflowError, match="1000"):
        Value(1000.0).exp()


def test_bad_operands_raise_type_error() -> None:
    with pytest.raises(TypeError, match="real number"):
        Value("1.0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="real number"):
        Value(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot combine"):
        Value(1.0) + "x"  # type: ignore[operator]


def test_sigmoid_is_stable_at_extremes() -> None:
    big, small = Value(800.0).sigmoid(), Value(-800.0).sigmoid()
    assert big.data == 1.0 and small.data == 0.0
