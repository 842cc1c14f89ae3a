"""Real GGUF interop: what llama.cpp's own Python reader dequantises equals our weights, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from miniquant.gguf_export import export_gguf, ggml_blocks, read_gguf_dequantized
from miniquant.quantize import per_channel, per_group

gguf = pytest.importorskip("gguf", reason="the gguf package (llama.cpp) is the interop oracle")


def test_export_reads_back_through_the_gguf_package(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    w = (
        rng.normal(scale=0.1, size=(64, 16)).astype(np.float32).T
    )  # a transposed view, as attention's
    q8, q4 = per_group(w, 8, 32), per_group(w, 4, 32)
    norm = rng.normal(size=16).astype(np.float32)
    path = export_gguf(
        tmp_path / "m.gguf", {"q8": q8, "q4": q4, "norm": norm}, {"minigpt.n_layers": 4}
    )
    back = read_gguf_dequantized(path)
    np.testing.assert_array_equal(back["q8"], q8.dequantize())
    np.testing.assert_array_equal(back["q4"], q4.dequantize())
    np.testing.assert_array_equal(back["norm"], norm)
    reader = gguf.GGUFReader(str(path))
    kinds = {t.name: t.tensor_type.name for t in reader.tensors}
    assert kinds == {"q8": "Q8_0", "q4": "Q4_0", "norm": "F32"}
    assert reader.fields["minigpt.n_layers"].contents() == 4


def test_our_int8_g32_agrees_with_ggml_q8_0_quantiser() -> None:
    """ggml's own Q8_0 quantiser keeps its scale in float32 while coding; ours rounds it up to float16 first,
    so codes may differ by one step at most and the dequantised weights by about one step."""
    w = np.random.default_rng(1).normal(size=(8, 128)).astype(np.float32)
    ours = per_group(w, 8, 32)
    theirs = gguf.quants.dequantize(
        gguf.quants.quantize(w, gguf.GGMLQuantizationType.Q8_0), gguf.GGMLQuantizationType.Q8_0
    )
    step = np.repeat(ours.scales.astype(np.float32), 32, axis=1)
    assert np.all(np.abs(ours.dequantize() - theirs) <= step * 1.01)
    assert np.mean(ours.dequantize() == theirs) > 0.5


def test_only_symmetric_g32_maps_to_ggml_blocks() -> None:
    w = np.ones((2, 64), np.float32)
    with pytest.raises(ValueError, match="g=32"):
        ggml_blocks(per_channel(w))
    with pytest.raises(ValueError, match="g=32"):
        ggml_blocks(per_group(w, 4, 32, symmetric=False))
