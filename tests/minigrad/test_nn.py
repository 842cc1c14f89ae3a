"""minigrad.nn: registration, state dicts, layers, norms (PyTorch fp64 parity), residuals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.gradcheck import gradcheck
from minigrad.nn import (
    GELU,
    BatchNorm1d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    Module,
    ModuleList,
    MSELoss,
    Parameter,
    ReLU,
    Residual,
    RMSNorm,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from minigrad.tensor import Tensor

F64 = np.float64


class Inner(Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = Parameter(np.ones(2))


class Outer(Module):
    def __init__(self) -> None:
        super().__init__()
        self.b = Parameter(np.zeros(1))
        self.inner = Inner()


def test_registration_order_own_parameters_first() -> None:
    m = Outer()
    params = list(m.parameters())
    assert params[0] is m.b and params[1] is m.inner.w
    assert [n for n, _ in m.named_parameters()] == ["b", "inner.w"]
    assert set(m.state_dict()) == {"b", "inner.w"}


def test_reassignment_moves_or_unregisters() -> None:
    m = Outer()
    m.b = Inner()  # type: ignore[assignment]
    assert "b" in m._modules and "b" not in m._parameters
    m.b = None  # type: ignore[assignment]
    assert "b" not in m._modules and m.b is None
    del m.inner
    assert list(m.parameters()) == []


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Bad(Module):
        def __init__(self) -> None:
            self.w = Parameter(np.ones(1))

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_shared_parameter_is_yielded_once() -> None:
    shared = Parameter(np.ones(3))
    a, b = Inner(), Inner()
    a.w = shared
    b.w = shared
    model = Sequential(a, b)
    assert len(list(model.parameters())) == 1
    assert set(model.state_dict()) == {"0.w", "1.w"}


def test_sequential_of_linear_relu_linear_has_four_parameters_in_order() -> None:
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 3, rng=rng), ReLU(), Linear(3, 1, rng=rng))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(model[0], Linear) and len(model) == 3
    assert len(model[1:]) == 2
    with pytest.raises(IndexError, match="out of range"):
        model[5]
    with pytest.raises(TypeError, match="not a Module"):
        Sequential(Linear(2, 3), lambda x: x)  # type: ignore[arg-type]


def test_linear_layout_shapes_and_no_bias() -> None:
    rng = np.random.default_rng(0)
    layer = Linear(4, 3, rng=rng, dtype=F64)
    assert layer.weight.shape == (3, 4) and layer.bias is not None and layer.bias.shape == (3,)
    assert np.all(np.abs(layer.weight.data) <= 0.5)
    x = Tensor(rng.normal(size=(2, 5, 4)))
    assert layer(x).shape == (2, 5, 3)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T + layer.bias.data)
    nobias = Linear(4, 3, bias=False, rng=rng)
    assert nobias.bias is None and len(list(nobias.parameters())) == 1
    with pytest.raises(ValueError, match="last axis must be 4"):
        layer(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="positive int"):
        Linear(0, 3)


def test_same_generator_seed_same_weights() -> None:
    a = Linear(5, 4, rng=np.random.default_rng(11))
    b = Linear(5, 4, rng=np.random.default_rng(11))
    assert np.array_equal(a.weight.data, b.weight.data)


def test_state_dict_round_trip_is_exact_and_keeps_objects() -> None:
    src = Sequential(Linear(3, 4, rng=np.random.default_rng(1)), BatchNorm1d(4), GELU())
    src(
        Tensor(np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32))
    )  # moves running stats
    dst = Sequential(Linear(3, 4, rng=np.random.default_rng(9)), BatchNorm1d(4), GELU())
    before = list(dst.parameters())
    dst.load_state_dict(src.state_dict())
    assert all(a is b for a, b in zip(before, dst.parameters(), strict=True))
    s1, s2 = src.state_dict(), dst.state_dict()
    assert s1.keys() == s2.keys()
    for key in s1:
        assert s1[key].dtype == s2[key].dtype and np.array_equal(s1[key], s2[key]), key
    assert "1.running_mean" in s1 and int(s1["1.num_batches_tracked"]) == 1


def test_load_state_dict_errors_name_the_key() -> None:
    model = Sequential(Linear(3, 4))
    state = model.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\]"):
        model.load_state_dict({"0.weight": state["0.weight"]})
    with pytest.raises(ValueError, match="0.weight"):
        model.load_state_dict({**state, "0.weight": np.zeros((4, 4))})
    model.load_state_dict({"0.weight": state["0.weight"]}, strict=False)


def test_train_eval_recurses_and_repr_is_a_tree() -> None:
    model = Sequential(Linear(2, 2), Dropout(0.5), Sequential(ReLU()))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    text = repr(model)
    assert "(0): Linear(in_features=2, out_features=2, bias=True)" in text
    assert "(1): Dropout(p=0.5)" in text
    assert "(w): Parameter(shape=(2,)" in repr(Inner())


def test_call_dispatches_to_forward_and_base_raises() -> None:
    with pytest.raises(NotImplementedError):
        Module()(1)


@pytest.mark.parametrize("act", [ReLU(), Tanh(), Sigmoid(), GELU(), Softmax()])
def test_activation_gradcheck(act: Module) -> None:
    x = Tensor(np.random.default_rng(5).uniform(-2, 2, size=(3, 4)) + 0.013, requires_grad=True)
    assert gradcheck(act, [x])  # inputs stay 0.013 away from ReLU's kink


def test_linear_gradcheck_weight_bias_input() -> None:
    rng = np.random.default_rng(4)
    layer = Linear(3, 2, rng=rng, dtype=F64)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    assert layer.bias is not None
    assert gradcheck(lambda x, w, b: x @ w.T + b, [x, layer.weight, layer.bias])
    layer(x).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.shape == (2, 3)


def test_embedding_lookup_and_scatter() -> None:
    emb = Embedding(5, 3, rng=np.random.default_rng(0), dtype=F64)
    idx = np.array([[0, 2], [2, 4]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    assert emb.weight.grad is not None
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [1, 0, 2, 0, 1])
    with pytest.raises(IndexError, match="outside 0..4"):
        emb(np.array([5]))
    with pytest.raises(TypeError, match="integer"):
        emb(np.array([0.5]))


def test_dropout_scales_in_training_and_is_identity_in_eval() -> None:
    drop = Dropout(0.25, rng=np.random.default_rng(0))
    x = Tensor(np.ones((200, 50)))
    y = drop(x).data
    assert set(np.unique(y)) <= {0.0, 1.0 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)


def test_losses() -> None:
    logits = Tensor(np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), requires_grad=True)
    loss = CrossEntropyLoss()(logits, np.array([0, 2]))
    p = np.exp(logits.data) / np.exp(logits.data).sum(-1, keepdims=True)
    assert loss.item() == pytest.approx(-np.log(p[[0, 1], [0, 2]]).mean(), rel=1e-12)
    pred = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert MSELoss()(pred, np.array([0.0, 4.0])).item() == pytest.approx(2.5)
    with pytest.raises(ValueError, match="same shape"):
        MSELoss()(pred, np.array([[0.0], [4.0]]))


def test_module_list_registers() -> None:
    layers = ModuleList([Linear(2, 2), Linear(2, 2)])
    assert len(list(layers.parameters())) == 4 and isinstance(layers[1], Linear)


# ---------------------------------------------------------------- normalisation: PyTorch parity


def _torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch", reason="torch is the fp64 oracle for the norm layers")


def _compare(ours: Module, theirs: object, x_np: np.ndarray) -> None:
    torch = _torch()
    g = np.random.default_rng(8).normal(size=x_np.shape)  # a non-uniform upstream gradient
    x = Tensor(x_np, requires_grad=True)
    y = ours(x)
    (y * Tensor(g)).sum().backward()
    xt = torch.tensor(x_np, requires_grad=True)
    yt = theirs(xt)  # type: ignore[operator]
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), atol=1e-6, rtol=0)
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), atol=1e-6, rtol=0)
    for (name, p), (tname, tp) in zip(
        ours.named_parameters(),
        theirs.named_parameters(),  # type: ignore[attr-defined]
        strict=True,
    ):
        assert name == tname
        assert p.grad is not None
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), atol=1e-6, rtol=0)


def _randomise(ours: Module, theirs: object) -> None:
    torch = _torch()
    rng = np.random.default_rng(3)
    with torch.no_grad():
        for p, tp in zip(ours.parameters(), theirs.parameters(), strict=True):  # type: ignore[attr-defined]
            p.data = rng.normal(1.0, 0.5, size=p.shape)
            tp.copy_(torch.tensor(p.data))


def test_layernorm_matches_torch() -> None:
    torch = _torch()
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(4, 5, 6))
    ours, theirs = LayerNorm(6, dtype=F64), torch.nn.LayerNorm(6, eps=1e-5).double()
    _randomise(ours, theirs)
    _compare(ours, theirs, x)


def test_rmsnorm_matches_torch() -> None:
    torch = _torch()
    x = np.random.default_rng(1).normal(0.5, 2.0, size=(7, 6))
    ours, theirs = RMSNorm(6, dtype=F64), torch.nn.RMSNorm(6, eps=1e-5).double()
    _randomise(ours, theirs)
    _compare(ours, theirs, x)


@pytest.mark.parametrize("shape", [(8, 5), (4, 5, 3)])
def test_batchnorm_matches_torch_in_train_and_eval(shape: tuple[int, ...]) -> None:
    torch = _torch()
    ours, theirs = BatchNorm1d(5, dtype=F64), torch.nn.BatchNorm1d(5).double()
    _randomise(ours, theirs)
    rng = np.random.default_rng(2)
    for _ in range(3):
        _compare(ours, theirs, rng.normal(1.0, 2.0, size=shape))
        for p in ours.parameters():
            p.grad = None
        theirs.zero_grad()
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=1e-12)
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, rng.normal(1.0, 2.0, size=shape))


def test_batchnorm_needs_more_than_one_value_per_feature() -> None:
    with pytest.raises(ValueError, match="more than one value"):
        BatchNorm1d(3)(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match="N, 3"):
        BatchNorm1d(3)(Tensor(np.ones((4, 2))))


@pytest.mark.parametrize("norm", [LayerNorm(4, dtype=F64), RMSNorm(4, dtype=F64)])
def test_all_zero_rows_stay_finite_forward_and_backward(norm: Module) -> None:
    x = Tensor(np.zeros((2, 4)), requires_grad=True)
    y = norm(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.data)) and x.grad is not None and np.all(np.isfinite(x.grad))


def test_eps_outside_the_sqrt_is_the_bug_zeros_expose() -> None:
    # The buggy form x / (sqrt(ms) + eps): its gradient passes through sqrt at 0, which is infinite.
    x = Tensor(np.zeros((1, 4)), requires_grad=True)
    ms = (x * x).mean(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (x / (ms**0.5 + 1e-5)).sum().backward()
    assert x.grad is not None and not np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("norm", [LayerNorm(5, dtype=F64), RMSNorm(5, dtype=F64)])
def test_norm_gradcheck(norm: Module) -> None:
    x = Tensor(np.random.default_rng(6).normal(size=(3, 5)), requires_grad=True)
    # gradcheck perturbs each input in place, so the module sees its own parameters change
    assert gradcheck(lambda x, *params: norm(x), [x, *norm.parameters()])


@given(
    rows=st.integers(1, 6),
    d=st.integers(2, 16),
    scale=st.floats(0.1, 100.0),
    seed=st.integers(0, 2**16),
)
def test_rmsnorm_output_has_unit_mean_square(rows: int, d: int, scale: float, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=(rows, d)) * scale
    y = RMSNorm(d, dtype=F64)(Tensor(x)).data
    ms = (x * x).mean(-1)
    expected = ms / (ms + 1e-5)  # exactly 1 without eps; eps shaves a little off small rows
    np.testing.assert_allclose((y * y).mean(-1), expected, rtol=1e-10)


@given(rows=st.integers(1, 6), d=st.integers(2, 16), seed=st.integers(0, 2**16))
def test_layernorm_output_is_standardised(rows: int, d: int, seed: int) -> None:
    x = np.random.default_rng(seed).normal(3.0, 5.0, size=(rows, d))
    y = LayerNorm(d, dtype=F64)(Tensor(x)).data
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-10)
    var = x.var(-1)
    np.testing.assert_allclose(y.var(-1), var / (var + 1e-5), rtol=1e-10)


# ---------------------------------------------------------------- residuals


def test_residual_of_zero_is_identity_and_of_minus_x_is_zero() -> None:
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)))
    assert np.array_equal(Residual(lambda t: t * 0.0)(x).data, x.data)
    assert np.array_equal(Residual(lambda t: -t)(x).data, np.zeros((3, 4)))


def test_residual_registers_module_blocks_and_gradchecks() -> None:
    block = Sequential(Linear(4, 4, rng=np.random.default_rng(0), dtype=F64), GELU())
    res = Residual(block)
    assert len(list(res.parameters())) == 2
    x = Tensor(np.random.default_rng(1).normal(size=(2, 4)), requires_grad=True)
    assert gradcheck(lambda x, *params: res(x), [x, *res.parameters()])
    with pytest.raises(ValueError, match="changed the shape"):
        Residual(Linear(4, 3))(Tensor(np.ones((2, 4), dtype=np.float32)))
