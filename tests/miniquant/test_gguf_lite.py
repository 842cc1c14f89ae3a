"""GGUF-lite: exact round trips, the bytes of the layout, and a fuzzed reader that only ever says no cleanly."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniquant.gguf_lite import (
    MAGIC,
    GGUFLiteError,
    decode,
    encode,
    read_gguf_lite,
    write_gguf_lite,
)
from miniquant.nf4 import NF4Tensor, quantize_nf4
from miniquant.quantize import QuantizedTensor, per_channel, per_group, per_tensor

RNG = np.random.default_rng(0)
W = RNG.normal(scale=0.05, size=(8, 64)).astype(np.float32)


def _tensors() -> dict[str, object]:
    return {
        "emb": RNG.normal(size=(5, 3)).astype(np.float16),
        "norm.weight": np.arange(7, dtype=np.float32),
        "q8c": per_channel(W),
        "q8t": per_tensor(W),
        "q8a": per_channel(W, symmetric=False),
        "q4g": per_group(W, bits=4, group_size=32),
        "q4a": per_group(W, bits=4, group_size=16, symmetric=False),
        "nf4": quantize_nf4(W, block=32),
        "odd": per_group(W[:3, :5], bits=4, group_size=5),  # 15 codes: a pad nibble
    }


META = {"arch": "minigpt", "n_layers": 4, "eps": 1e-5, "tied": True, "note": "ñ ✓"}


def _same(a: object, b: object) -> None:
    if isinstance(a, QuantizedTensor):
        assert isinstance(b, QuantizedTensor) and a.spec == b.spec
        np.testing.assert_array_equal(a.codes, b.codes)
        np.testing.assert_array_equal(a.scales, b.scales)
        assert (a.zeros is None) == (b.zeros is None)
        if a.zeros is not None and b.zeros is not None:
            np.testing.assert_array_equal(a.zeros, b.zeros)
    elif isinstance(a, NF4Tensor):
        assert isinstance(b, NF4Tensor) and a.block == b.block
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.scales, b.scales)
    else:
        assert isinstance(b, np.ndarray) and b.dtype == np.asarray(a).dtype
        np.testing.assert_array_equal(a, b)


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    tensors = _tensors()
    path = write_gguf_lite(tmp_path / "m.glft", tensors, META, alignment=64)  # type: ignore[arg-type]
    back = read_gguf_lite(path)
    assert back.metadata == META and back.alignment == 64
    assert list(back.tensors) == list(tensors)
    for name, tensor in tensors.items():
        _same(tensor, back.tensors[name])


def test_layout_header_alignment_and_packed_sizes() -> None:
    q4 = per_group(W, bits=4, group_size=32)
    data = encode({"w": q4}, {}, alignment=32)
    assert data[:4] == MAGIC == b"GLFT"
    assert int.from_bytes(data[4:8], "little") == 1
    payload = 2 * 8 * 2 + 8 * 64 // 2  # f16 scales, then two codes a byte
    assert len(data) % 32 == payload % 32  # data starts on a 32-byte boundary
    assert data[-payload:][:32] == q4.scales.astype("<f2").tobytes()
    first = q4.codes.reshape(-1)[:2]
    assert data[-payload + 32] == ((int(first[0]) & 15) | ((int(first[1]) & 15) << 4))


def test_float_tensors_are_views_of_the_memory_map(tmp_path: Path) -> None:
    path = write_gguf_lite(tmp_path / "f.glft", {"a": np.ones((4, 4), np.float32)})
    arr = read_gguf_lite(path).tensors["a"]
    assert isinstance(arr, np.ndarray) and not arr.flags.writeable and not arr.flags.owndata
    np.testing.assert_array_equal(arr, 1.0)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:10], "truncated"),
        (lambda d: b"GGUF" + d[4:], "not a GGUF-lite"),
        (lambda d: d[:4] + (9).to_bytes(4, "little") + d[8:], "version 9"),
        (lambda d: d[:-1], "runs past the end"),
        (lambda d: d[:16] + (10**6).to_bytes(4, "little") + d[20:], "truncated"),
    ],
)
def test_damaged_files_give_one_clear_error(mutate: object, message: str) -> None:
    data = encode({"w": per_channel(W)}, META)
    with pytest.raises(GGUFLiteError, match=message):
        decode(np.frombuffer(mutate(data), dtype=np.uint8))  # type: ignore[operator]


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(GGUFLiteError, match="truncated"):
        read_gguf_lite(tmp_path / "empty")
    with pytest.raises(GGUFLiteError, match="cannot read"):
        read_gguf_lite(tmp_path / "missing")


TENSORS = _tensors()
SAMPLE = encode(TENSORS, META)  # type: ignore[arg-type]
HEAD = SAMPLE.index(
    np.asarray(TENSORS["emb"]).astype("<f2").tobytes()
)  # where the data section starts


@settings(max_examples=300, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(0, HEAD), st.integers(0, 255)), min_size=1, max_size=3))
def test_fuzzed_headers_decode_or_raise_gguf_lite_error(flips: list[tuple[int, int]]) -> None:
    """Flips aimed at the header, metadata and tensor infos, where a forged length or count lives."""
    data = bytearray(SAMPLE)
    for where, value in flips:
        data[where] = value
    with contextlib.suppress(GGUFLiteError):  # any other exception fails the test
        decode(np.frombuffer(bytes(data), dtype=np.uint8))


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(SAMPLE)),
    flips=st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=4),
)
def test_fuzzed_files_decode_or_raise_gguf_lite_error(
    cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(SAMPLE)
    for where, value in flips:
        data[where] = value
    buf = np.frombuffer(bytes(data[:cut]), dtype=np.uint8)
    try:
        decoded = decode(buf)
    except GGUFLiteError:
        return
    for tensor in decoded.tensors.values():  # whatever decoded must be usable
        if isinstance(tensor, QuantizedTensor | NF4Tensor):
            assert tensor.dequantize().shape == tensor.shape
