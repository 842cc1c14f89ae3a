"""Phase 27: the online softmax and the tiled FlashAttention reference equal naive attention (float64, 1e-6)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.tensor import Tensor
from minimodel.attention import causal_mask, scaled_dot_product_attention
from minimodel.flash import (
    allowed_mask,
    flash_attention,
    flash_attention_backward,
    naive_attention,
    naive_attention_backward,
    peak_bytes,
)
from minimodel.labs.phase27_modern_attention import NoRescale
from minimodel.online_softmax import online_softmax_weighted_sum, softmax_weighted_sum

TOL = 1e-6


def _qkv(
    seed: int, lead: tuple[int, ...], length: int, keys: int, d: int = 8
) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(*lead, length, d))
    k = rng.normal(size=(*lead, keys, d))
    v = rng.normal(size=(*lead, keys, d + 2))  # Dv != D on purpose
    return q, k, v


# ----------------------------------------------------------------------------- online softmax


def test_the_worked_example_chunks_12_and_3_10_give_one() -> None:
    # s = [1, 2, 3, 10] with V all ones: any softmax-weighted sum of ones is exactly 1
    out = online_softmax_weighted_sum(np.array([1.0, 2, 3, 10]), np.ones((4, 1)), chunk=2)
    assert out == pytest.approx([1.0], abs=1e-15)


@given(
    n=st.integers(1, 40),
    chunk=st.integers(1, 50),
    spread=st.floats(0.1, 200.0),
    seed=st.integers(0, 2**16),
)
def test_online_equals_two_pass_for_any_chunking(
    n: int, chunk: int, spread: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(3, n)) * spread  # large spreads would overflow an unshifted exp
    values = rng.normal(size=(3, n, 4))
    online = online_softmax_weighted_sum(scores, values, chunk=chunk)
    np.testing.assert_allclose(online, softmax_weighted_sum(scores, values), rtol=0, atol=1e-12)


def test_the_order_of_chunks_does_not_matter() -> None:
    rng = np.random.default_rng(0)
    scores, values = rng.normal(size=32) * 10, rng.normal(size=(32, 3))
    perm = rng.permutation(32)
    a = online_softmax_weighted_sum(scores, values, chunk=5)
    b = online_softmax_weighted_sum(scores[perm], values[perm], chunk=5)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_pathological_scores() -> None:
    values = np.arange(8.0).reshape(4, 2)
    # one huge score: exp(60) overflows float16 and a naive softmax in it gives inf/inf
    big = online_softmax_weighted_sum(np.array([60.0, 0, 0, 0]), values, chunk=1)
    np.testing.assert_allclose(big, values[0], atol=1e-20)
    near = online_softmax_weighted_sum(np.array([-100.0, -100, -100, 0]), values, chunk=3)
    np.testing.assert_allclose(near, values[3], atol=1e-40)
    flat = online_softmax_weighted_sum(np.zeros(4), values, chunk=3)
    np.testing.assert_allclose(flat, values.mean(axis=0), atol=1e-15)


def test_dropping_the_rescale_factor_is_wrong_once_the_max_moves() -> None:
    scores = np.array([0.0, 1, 2, 3])  # every chunk raises the max
    values = np.eye(4)
    right = softmax_weighted_sum(scores, values)
    broken = online_softmax_weighted_sum(scores, values, chunk=1, state=NoRescale)
    assert np.abs(broken - right).max() > 0.1
    # with the max in the first chunk α = 1 throughout and the bug is invisible
    quiet = online_softmax_weighted_sum(scores[::-1].copy(), values, chunk=1, state=NoRescale)
    np.testing.assert_allclose(quiet, softmax_weighted_sum(scores[::-1].copy(), values), atol=1e-15)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_bad_chunk_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="chunk"):
        online_softmax_weighted_sum(np.zeros(3), np.zeros((3, 1)), chunk=bad)


# ----------------------------------------------------------------------------- flash forward

CASES: dict[str, dict[str, Any]] = {
    "full": {"causal": False, "window": None, "length": 37, "keys": 37},
    "causal": {"causal": True, "window": None, "length": 37, "keys": 37},
    "causal, decode rows": {"causal": True, "window": None, "length": 5, "keys": 29},
    "window 7": {"causal": True, "window": 7, "length": 37, "keys": 37},
    "window 1": {"causal": True, "window": 1, "length": 20, "keys": 20},
    "window, decode rows": {"causal": True, "window": 6, "length": 3, "keys": 30},
    "cross, T != Tk": {"causal": False, "window": None, "length": 9, "keys": 23},
}


@pytest.mark.parametrize("blocks", [(8, 8), (5, 16), (64, 3), (1, 1)], ids=str)
@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_flash_forward_equals_naive(case: str, blocks: tuple[int, int]) -> None:
    spec = CASES[case]
    q, k, v = _qkv(1, (2, 3), spec["length"], spec["keys"])
    kw = {"causal": spec["causal"], "window": spec["window"]}
    ref = naive_attention(q, k, v, **kw)
    got = flash_attention(q, k, v, block_q=blocks[0], block_k=blocks[1], **kw)
    np.testing.assert_allclose(got.out, ref.out, rtol=0, atol=TOL)
    np.testing.assert_allclose(got.lse, ref.lse, rtol=0, atol=TOL)


def test_naive_equals_minigrad_attention() -> None:
    q, k, v = _qkv(2, (2, 2), 11, 11)
    out, _ = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), causal_mask(11))
    np.testing.assert_allclose(naive_attention(q, k, v, causal=True).out, out.data, atol=1e-12)


def test_window_mask_is_a_band() -> None:
    mask = allowed_mask(6, 6, causal=True, window=3)
    assert mask is not None
    expected = np.array([[j <= i and j > i - 3 for j in range(6)] for i in range(6)], dtype=bool)
    np.testing.assert_array_equal(mask, expected)
    assert allowed_mask(4, 4, causal=False) is None


def test_a_window_as_long_as_the_sequence_is_plain_causal() -> None:
    q, k, v = _qkv(3, (2,), 16, 16)
    a = flash_attention(q, k, v, causal=True, window=16, block_q=4, block_k=4).out
    b = flash_attention(q, k, v, causal=True, block_q=4, block_k=4).out
    np.testing.assert_allclose(a, b, atol=1e-14)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"window": 3}, "causal attention only"),
        ({"window": 0, "causal": True}, "window"),
        ({"block_q": 0}, "block_q"),
    ],
)
def test_bad_arguments(kw: dict[str, Any], match: str) -> None:
    q, k, v = _qkv(0, (1,), 4, 4)
    with pytest.raises(ValueError, match=match):
        flash_attention(q, k, v, **kw)


def test_causal_needs_no_more_queries_than_keys() -> None:
    q, k, v = _qkv(0, (1,), 5, 4)
    with pytest.raises(ValueError, match="T <= Tk"):
        naive_attention(q, k, v, causal=True)


# ----------------------------------------------------------------------------- flash backward


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_flash_backward_equals_naive_backward(case: str) -> None:
    spec = CASES[case]
    q, k, v = _qkv(4, (2, 2), spec["length"], spec["keys"])
    kw = {"causal": spec["causal"], "window": spec["window"]}
    d_out = np.random.default_rng(5).normal(size=(2, 2, spec["length"], v.shape[-1]))
    fwd = flash_attention(q, k, v, block_q=6, block_k=7, **kw)
    got = flash_attention_backward(q, k, v, fwd, d_out, block_q=6, block_k=7, **kw)
    ref = naive_attention_backward(q, k, v, d_out, **kw)
    for name in ("dq", "dk", "dv"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(ref, name), rtol=0, atol=TOL, err_msg=name
        )


@pytest.mark.parametrize("window", [None, 4])
def test_flash_backward_equals_minigrad_autograd(window: int | None) -> None:
    q, k, v = _qkv(6, (2, 3), 13, 13)
    d_out = np.random.default_rng(7).normal(size=(2, 3, 13, v.shape[-1]))
    mask = allowed_mask(13, 13, causal=True, window=window)
    tq, tk, tv = (Tensor(a.copy(), requires_grad=True) for a in (q, k, v))
    out, _ = scaled_dot_product_attention(tq, tk, tv, mask)
    out.backward(d_out)
    fwd = flash_attention(q, k, v, causal=True, window=window, block_q=4, block_k=5)
    np.testing.assert_allclose(fwd.out, out.data, rtol=0, atol=TOL)
    got = flash_attention_backward(
        q, k, v, fwd, d_out, causal=True, window=window, block_q=4, block_k=5
    )
    for name, tensor in (("dq", tq), ("dk", tk), ("dv", tv)):
        assert tensor.grad is not None
        np.testing.assert_allclose(getattr(got, name), tensor.grad, rtol=0, atol=TOL)


# ----------------------------------------------------------------------------- the torch oracle


@pytest.mark.parametrize(("causal", "window"), [(False, None), (True, None), (True, 5)])
def test_flash_equals_torch_sdpa(causal: bool, window: int | None) -> None:
    torch = pytest.importorskip(
        "torch", reason="torch is the oracle for scaled_dot_product_attention"
    )
    q, k, v = _qkv(8, (2, 4), 33, 33, d=16)
    v = v[..., :16]
    mask = allowed_mask(33, 33, causal=causal, window=window)
    tq, tk, tv = (torch.from_numpy(a.copy()).requires_grad_(True) for a in (q, k, v))
    ref = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=None if mask is None else torch.from_numpy(mask)
    )
    fwd = flash_attention(q, k, v, causal=causal, window=window, block_q=8, block_k=8)
    np.testing.assert_allclose(fwd.out, ref.detach().numpy(), rtol=0, atol=TOL)
    d_out = np.random.default_rng(9).normal(size=ref.shape)
    ref.backward(torch.from_numpy(d_out))
    got = flash_attention_backward(
        q, k, v, fwd, d_out, causal=causal, window=window, block_q=8, block_k=8
    )
    for name, tensor in (("dq", tq), ("dk", tk), ("dv", tv)):
        np.testing.assert_allclose(getattr(got, name), tensor.grad.numpy(), rtol=0, atol=TOL)


# ----------------------------------------------------------------------------- memory, measured


def test_flash_peak_memory_grows_linearly_naive_quadratically() -> None:
    peaks: dict[str, list[int]] = {"naive": [], "flash": []}
    for length in (128, 512):
        q, k, v = _qkv(0, (1,), length, length, d=16)
        peaks["naive"].append(peak_bytes(naive_attention, q, k, v, causal=True))
        peaks["flash"].append(
            peak_bytes(flash_attention, q, k, v, causal=True, block_q=32, block_k=32)
        )
    # 4× the length: the naive (T, T) matrices take ~16× the bytes, the tiled forward ~4× (its output)
    assert peaks["naive"][1] / peaks["naive"][0] > 10
    assert peaks["flash"][1] / peaks["flash"][0] < 6
    assert peaks["flash"][1] * 4 < peaks["naive"][1]
