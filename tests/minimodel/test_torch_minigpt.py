"""The PyTorch port as an oracle: same weights → same logits (fp32) and same gradients (fp64)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig, named_config

torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch")
tm = pytest.importorskip("minimodel.torch_minigpt")

SMALL = MiniGPTConfig(vocab_size=48, d_model=16, n_heads=2, n_layers=2, d_ff=40, context_len=16)
CONFIGS = [
    named_config("tiny", 512),
    replace(SMALL, norm="rmsnorm", pos="sinusoidal", tie_embeddings=False, qkv_bias=True),
    replace(SMALL, pos="learned", ffn_bias=False, n_layers=3),
]


def pair(cfg: MiniGPTConfig, dtype: Any) -> tuple[MiniGPT, Any]:
    ours = MiniGPT(cfg, rng=np.random.default_rng(0), dtype=dtype)
    rng = np.random.default_rng(1)
    for param in ours.parameters():  # non-trivial biases and gains, so every path is exercised
        if param.ndim == 1:
            param.data = (param.data + 0.1 * rng.standard_normal(param.shape)).astype(dtype)
    theirs = tm.GrammarMiniGPT(cfg).to(torch.float64 if dtype == np.float64 else torch.float32)
    tm.load_numpy_state(theirs, ours.state_dict())
    return ours, theirs


def batch(cfg: MiniGPTConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    ids = rng.integers(0, cfg.vocab_size, (3, 10))
    targets = rng.integers(0, cfg.vocab_size, (3, 10))
    pad = np.ones((3, 10), dtype=bool)
    pad[1, 7:] = False
    pad[2, :2] = False  # one left-padded row too
    return ids, targets, pad, pad.copy()


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_logits_match_in_float32(cfg: MiniGPTConfig) -> None:
    ours, theirs = pair(cfg, np.float32)
    ids, _, pad, _ = batch(cfg)
    got = ours(ids, pad_mask=pad).data  # (B, T, V)
    want = theirs(torch.from_numpy(ids), torch.from_numpy(pad)).detach().numpy()  # (B, T, V)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_one_training_step_gradients_match_in_float64(cfg: MiniGPTConfig) -> None:
    ours, theirs = pair(cfg, np.float64)
    ids, targets, pad, loss_mask = batch(cfg)
    loss = ours.loss(ids, targets, loss_mask, pad_mask=pad)
    loss.backward()
    logits = theirs(torch.from_numpy(ids), torch.from_numpy(pad))  # (B, T, V)
    masked = torch.from_numpy(np.where(loss_mask, targets, -100))  # (B, T)
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), masked.reshape(-1))
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), abs=1e-12)
    grads = {name: p.grad for name, p in ours.named_parameters()}
    for name, param in theirs.named_parameters():
        grad = grads[name]
        assert grad is not None, name
        np.testing.assert_allclose(grad, param.grad.numpy(), atol=1e-6, rtol=0, err_msg=name)
    assert set(grads) == {name for name, _ in theirs.named_parameters()}


def test_load_rejects_mismatched_state() -> None:
    theirs = tm.GrammarMiniGPT(SMALL)
    state = MiniGPT(SMALL, rng=np.random.default_rng(0)).state_dict()
    state["extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"unexpected \['extra'\]"):
        tm.load_numpy_state(theirs, state)
    del state["extra"]
    state["norm_f.weight"] = np.zeros(3)
    with pytest.raises(ValueError, match="'norm_f.weight' is \\(3,\\)"):
        tm.load_numpy_state(theirs, state)


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_cached_torch_decode_equals_its_forward_and_the_numpy_inference_path(
    cfg: MiniGPTConfig,
) -> None:
    from minimodel.infer import FastMiniGPT

    ours, theirs = pair(cfg, np.float32)
    ids = np.random.default_rng(3).integers(0, cfg.vocab_size, (2, 9))
    with torch.no_grad():
        full = theirs(torch.from_numpy(ids)).numpy()  # (B, T, V)
    cached = tm.CachedTorchMiniGPT(theirs)
    assert cached.config == cfg
    steps = [cached.prefill(torch.from_numpy(ids[:, :4])).numpy()]
    steps += [cached.decode(torch.from_numpy(ids[:, t : t + 1])).numpy() for t in range(4, 9)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-5, rtol=0)
    np.testing.assert_allclose(FastMiniGPT(ours)(ids), full, atol=1e-5, rtol=0)
