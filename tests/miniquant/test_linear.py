"""QuantizedLinear in minigrad and in the torch port: shapes, dtype, dequantise-on-the-fly, the int8 path."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad.nn import Linear
from minigrad.tensor import Tensor
from miniquant.kernels import dequant_matmul, int8_matmul, quantize_rows
from miniquant.linear import QuantizedLinear
from miniquant.quantize import QuantSpec, per_channel, per_group

INT8C = QuantSpec(8, "channel")


def _layer(seed: int = 0) -> Linear:
    layer = Linear(32, 16, rng=np.random.default_rng(seed))
    layer.bias.data[:] = np.random.default_rng(seed + 1).normal(size=16)  # type: ignore[union-attr]
    return layer


def test_quantized_linear_matches_the_dequantised_reference() -> None:
    layer = _layer()
    x = Tensor(np.random.default_rng(2).normal(size=(3, 5, 32)).astype(np.float32))
    specs: tuple[QuantSpec | str, ...] = (INT8C, QuantSpec(4, "group", 8), "nf4")
    for spec in specs:
        q = QuantizedLinear.from_linear(layer, spec)
        y = q(x)
        assert y.shape == layer(x).shape and y.dtype == layer(x).dtype
        w = q.qweight.dequantize()
        np.testing.assert_allclose(y.data, x.data @ w.T + layer.bias.data, rtol=1e-5, atol=1e-5)  # type: ignore[union-attr]
        assert q.qweight.nbytes < layer.weight.data.nbytes


def test_int8_codes_are_stored_not_a_float_copy() -> None:
    q = QuantizedLinear.from_linear(_layer(), INT8C)
    assert q.qweight.codes.min() >= -127 and q.qweight.codes.max() <= 127
    assert [name for name, _ in q.named_parameters()] == ["bias"]  # no float weight kept


def test_int8_path_is_exact_integer_arithmetic() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 32)).astype(np.float32)
    w = per_channel(rng.normal(size=(16, 32)).astype(np.float32))
    qx, sx = quantize_rows(x)
    expected = (qx.astype(np.float64) * sx) @ (
        w.codes.astype(np.float64) * w.scales.astype(np.float64)
    ).T
    np.testing.assert_allclose(int8_matmul(x, w), expected, rtol=1e-6)
    # activation rounding moves each input by at most half its row's step: |Δy| ≤ s_x / 2 · Σ|ŵ|
    bound = sx / 2 * np.abs(w.dequantize()).sum(axis=1)[None, :]  # (N, out)
    assert np.all(np.abs(int8_matmul(x, w) - dequant_matmul(x, w)) <= bound * 1.0001)
    with pytest.raises(ValueError, match="int8 path"):
        int8_matmul(x, per_group(np.ones((2, 32)), 8, 16))


def test_gradients_reach_the_input_through_the_dequantised_weight() -> None:
    q = QuantizedLinear.from_linear(_layer(), INT8C)
    x = Tensor(np.ones((2, 32), dtype=np.float32), requires_grad=True)
    q(x).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad[0], q.qweight.dequantize().sum(axis=0), rtol=1e-5)


def test_torch_port_agrees_with_minigrad() -> None:
    torch = pytest.importorskip("torch", reason="torch port of QuantizedLinear")
    from miniquant.torch_linear import TorchQuantizedLinear

    layer = _layer(4)
    tl = torch.nn.Linear(32, 16)
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(layer.weight.data))
        tl.bias.copy_(torch.from_numpy(layer.bias.data))  # type: ignore[union-attr]
    x = np.random.default_rng(5).normal(size=(2, 3, 32)).astype(np.float32)
    for spec, int8 in ((INT8C, False), (QuantSpec(4, "group", 8), False), (INT8C, True)):
        ours = QuantizedLinear.from_linear(layer, spec, int8=int8)(Tensor(x)).data
        theirs = TorchQuantizedLinear.from_linear(tl, spec, int8=int8)(torch.from_numpy(x))
        assert tuple(theirs.shape) == (2, 3, 16) and theirs.dtype == torch.float32
        np.testing.assert_allclose(theirs.detach().numpy(), ours, rtol=1e-5, atol=1e-5)


def test_torch_model_with_quantised_ffn_matches_numpy_fake_quant() -> None:
    """The torch port with TorchQuantizedLinear in every FFN gives the logits of the NumPy model whose FFN
    weights were replaced by their dequantised values (int8 per channel)."""
    torch = pytest.importorskip("torch", reason="torch port of the MiniGPT")
    from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
    from minimodel.torch_minigpt import GrammarMiniGPT, load_numpy_state
    from miniquant.quantize import quantize
    from miniquant.torch_linear import quantize_torch_ffn

    cfg = MiniGPTConfig(vocab_size=40, d_model=32, n_heads=4, n_layers=2, d_ff=64, context_len=16)
    model = MiniGPT(cfg, rng=np.random.default_rng(6))
    port = GrammarMiniGPT(cfg)
    load_numpy_state(port, model.state_dict())
    quantize_torch_ffn(port, INT8C)
    state = model.state_dict()
    for name in [k for k in state if ".ffn.fc" in k and k.endswith(".weight")]:
        state[name] = quantize(state[name], INT8C).dequantize()
    model.load_state_dict(state)
    ids = np.random.default_rng(7).integers(0, 40, size=(2, 10))
    with torch.no_grad():
        theirs = port(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(theirs, model.forward(ids).data, atol=1e-4)
