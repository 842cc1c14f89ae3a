"""Whole-model PTQ: what is quantised, the file round trip, GPTQ calibration, and on-the-fly runners."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from miniquant.model import SCHEMES, is_in_out, load_quantized, quantize_model, save_quantized
from miniquant.quantize import QuantizedTensor
from miniquant.runtime import calibration_hessians, quantized_runner

CFG = MiniGPTConfig(vocab_size=48, d_model=32, n_heads=4, n_layers=2, d_ff=64, context_len=16)


@pytest.fixture(scope="module")
def model() -> MiniGPT:
    return MiniGPT(CFG, rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    return np.random.default_rng(1).integers(0, CFG.vocab_size, size=(4, 12))  # (B, T)


def test_only_block_matrices_are_quantised_embedding_is_fp16(model: MiniGPT) -> None:
    qm = quantize_model(model, "int8-channel")
    kinds = {k: type(v).__name__ for k, v in qm.tensors.items()}
    assert kinds["blocks.0.attn.w_q"] == kinds["blocks.1.ffn.fc2.weight"] == "QuantizedTensor"
    assert qm.tensors["tok_emb.weight"].dtype == np.float16  # type: ignore[union-attr]
    assert qm.tensors["blocks.0.norm1.weight"].dtype == np.float32  # type: ignore[union-attr]
    # attention weights are stored (out, in): the transpose of the model's (in, out)
    wq = qm.tensors["blocks.0.attn.w_q"]
    assert isinstance(wq, QuantizedTensor) and is_in_out("blocks.0.attn.w_q")
    np.testing.assert_allclose(
        qm.state_dict()["blocks.0.attn.w_q"], model.state_dict()["blocks.0.attn.w_q"], atol=0.01
    )
    fp32 = quantize_model(model, "fp32").nbytes
    assert fp32 == 4 * sum(v.size for v in model.state_dict().values())
    sizes = {n: quantize_model(model, n).nbytes for n in ("fp16", "int8-channel", "int4-g32")}
    assert fp32 > sizes["fp16"] > sizes["int8-channel"] > sizes["int4-g32"]


def test_quantised_logits_stay_close_and_order_by_bits(model: MiniGPT, ids: np.ndarray) -> None:
    ref = FastMiniGPT(model)(ids)
    gaps = {
        n: float(np.abs(FastMiniGPT(quantize_model(model, n).to_model())(ids) - ref).max())
        for n in ("fp16", "int8-channel", "int4-g32", "int4-tensor")
    }
    assert gaps["fp16"] < gaps["int8-channel"] < gaps["int4-g32"] < gaps["int4-tensor"]
    assert gaps["int8-channel"] < 0.05


@pytest.mark.parametrize("name", ["int8-channel", "int4-g32", "nf4", "fp16"])
def test_gguf_lite_file_round_trip_gives_identical_logits(
    model: MiniGPT, ids: np.ndarray, tmp_path: Path, name: str
) -> None:
    qm = quantize_model(model, name)
    path = save_quantized(qm, tmp_path / f"{name}.glft")
    back = load_quantized(path)
    assert back.scheme == qm.scheme and back.config == CFG
    np.testing.assert_array_equal(
        FastMiniGPT(back.to_model())(ids), FastMiniGPT(qm.to_model())(ids)
    )
    assert path.stat().st_size < qm.nbytes + 4096  # headers and padding only


def test_calibration_hessians_are_twice_the_gram_of_real_inputs(
    model: MiniGPT, ids: np.ndarray
) -> None:
    hs = calibration_hessians(model, [ids])
    assert set(hs) == {
        k for k in model.state_dict() if k.startswith("blocks.") and model.state_dict()[k].ndim == 2
    }
    np.testing.assert_array_equal(hs["blocks.0.attn.w_q"], hs["blocks.0.attn.w_v"])
    # fc2's input is GELU(fc1(norm2(x))): the Hessian is 2 XᵀX over B·T rows, PSD with trace 2‖X‖²
    h = hs["blocks.1.ffn.fc2.weight"]
    assert h.shape == (CFG.d_ff, CFG.d_ff)
    assert np.linalg.eigvalsh(h).min() > -1e-6 * np.trace(h)


def test_gptq_model_beats_rtn_on_the_calibration_text(model: MiniGPT, ids: np.ndarray) -> None:
    ref = FastMiniGPT(model)(ids)
    hs = calibration_hessians(model, [ids])
    rtn = FastMiniGPT(quantize_model(model, "int4-g32").to_model())(ids)
    gptq = FastMiniGPT(quantize_model(model, "gptq-int4-g32", hs).to_model())(ids)
    assert np.linalg.norm(gptq - ref) < np.linalg.norm(rtn - ref)
    with pytest.raises(ValueError, match="Hessians"):
        quantize_model(model, "gptq-int4-g32")


@pytest.mark.parametrize(
    ("name", "int8"),
    [("int8-channel", False), ("int8-channel", True), ("nf4", False), ("fp16", False)],
)
def test_on_the_fly_runner_decodes_like_the_dequantised_model(
    model: MiniGPT, ids: np.ndarray, name: str, int8: bool
) -> None:
    qm = quantize_model(model, name)
    runner, dense = quantized_runner(qm, int8=int8), FastMiniGPT(qm.to_model())
    tol = 0.05 if int8 else 1e-5  # int8 also rounds the activations
    np.testing.assert_allclose(runner(ids), dense(ids), atol=tol)
    p1, p2 = runner.prefill(ids[:, :6]), dense.prefill(ids[:, :6])
    np.testing.assert_allclose(p1, p2, atol=tol)
    np.testing.assert_allclose(runner.decode(ids[:, 6:7]), dense.decode(ids[:, 6:7]), atol=tol)
    assert len(qm.matrices()) == 6 * CFG.n_layers  # every block matrix runs from its compact form


def test_scheme_names() -> None:
    assert {
        "fp32",
        "fp16",
        "int8-tensor",
        "int8-channel",
        "int4-g64",
        "nf4",
        "gptq-int4-g128",
    } <= set(SCHEMES)
    with pytest.raises(ValueError, match="unknown"):
        quantize_model(MiniGPT(CFG, rng=np.random.default_rng(0)), "int3")
