"""Export to real GGUF (llama.cpp's format) through the `gguf` package, without re-quantising.

Our symmetric group-32 codes *are* ggml's block formats, so the export only re-lays bytes:

- INT8 g=32 → Q8_0: per block of 32, a float16 scale d then 32 int8 codes, x = d · q;
- INT4 g=32 → Q4_0: per block, d then 16 bytes; x = d · (nibble − 8), the block's first 16 values in the low
  nibbles and the last 16 in the high ones (not even/odd as in GGUF-lite). Our codes stay in [−7, 7], so
  the nibble is q + 8 and ggml's extra code −8 is simply never used.

So a llama.cpp reader dequantises exactly our weights (the interop test reads the file back with
`gguf.GGUFReader` and `gguf.quants.dequantize` and compares bit for bit). Float arrays go as F32/F16. GGUF
lists dimensions innermost first; the `gguf` writer takes NumPy's row-major shape and does the reversal.
`gguf` is an optional dependency (`uv sync --extra quant`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from miniquant.quantize import QuantizedTensor

GGML_BLOCK = 32


def _gguf() -> Any:
    try:
        return importlib.import_module("gguf")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("GGUF export needs the `gguf` package: uv sync --extra quant") from exc


def ggml_blocks(tensor: QuantizedTensor) -> tuple[str, npt.NDArray[np.uint8]]:
    """(ggml type name, (out, bytes per row) uint8 blocks) of a symmetric INT8/INT4 g=32 tensor."""
    spec = tensor.spec
    if not (spec.symmetric and spec.granularity == "group" and spec.group_size == GGML_BLOCK):
        raise ValueError(
            f"only symmetric g={GGML_BLOCK} tensors map to ggml blocks, got {spec.label}"
        )
    out, inp = tensor.shape
    scales = (
        np.ascontiguousarray(tensor.scales, dtype="<f2").view(np.uint8).reshape(out, -1, 2)
    )  # (out, G, 2)
    codes = tensor.codes.reshape(out, -1, GGML_BLOCK)  # (out, G, 32)
    if spec.bits == 8:
        body = codes.astype(np.int8).view(np.uint8)  # (out, G, 32)
        name = "Q8_0"
    elif spec.bits == 4:
        nib = (codes + 8).astype(np.uint8)
        body = nib[..., :16] | (nib[..., 16:] << np.uint8(4))  # (out, G, 16)
        name = "Q4_0"
    else:
        raise ValueError(f"no ggml block format for {spec.bits}-bit codes")
    blocks = np.concatenate([scales, body], axis=-1).reshape(out, -1)
    return name, np.ascontiguousarray(blocks)


def export_gguf(
    path: Path,
    tensors: Mapping[str, npt.NDArray[Any] | QuantizedTensor],
    metadata: Mapping[str, int | float | str | bool] | None = None,
    *,
    arch: str = "minigpt",
) -> Path:
    """Write a real GGUF file: float arrays as F32/F16, INT8/INT4 g=32 tensors as Q8_0/Q4_0."""
    gguf = _gguf()
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    for key, value in (metadata or {}).items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_int64(key, value)
        elif isinstance(value, float):
            writer.add_float64(key, value)
        else:
            writer.add_string(key, str(value))
    for name, tensor in tensors.items():
        if isinstance(tensor, QuantizedTensor):
            kind, blocks = ggml_blocks(tensor)
            writer.add_tensor(name, blocks, raw_dtype=getattr(gguf.GGMLQuantizationType, kind))
        else:
            array = np.asarray(tensor)
            writer.add_tensor(
                name, array if array.dtype == np.float16 else array.astype(np.float32)
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def read_gguf_dequantized(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    """Every tensor of a GGUF file as float32, dequantised by the `gguf` package itself (the oracle)."""
    gguf = _gguf()
    reader = gguf.GGUFReader(str(path))
    out = {}
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # GGUF lists innermost first
        out[t.name] = np.asarray(values, dtype=np.float32).reshape(shape)
    return out


__all__ = ["GGML_BLOCK", "export_gguf", "ggml_blocks", "read_gguf_dequantized"]
