"""Weight-only post-training quantisation of a whole MiniGPT, and its GGUF-lite file.

What is quantised: every weight matrix of the blocks (attention W_q, W_k, W_v, W_o and both feed-forward
matrices) — where almost all bytes and all the matrix–vector work of decoding are. What is not: the token
embedding (tied to the LM head) is stored as float16 in every scheme but FP32 (the phase's convention: the
embedding table is looked up, not multiplied, and its rows for rare tokens are the most fragile); norms and
biases stay float32 (a few thousand numbers).

Matrices are quantised in `Linear` layout (out, in), one scale per output channel or per group of inputs.
The attention weights are stored (in, out) in the model (`x @ W`), so they are transposed on the way in and
back on the way out (`is_in_out`). A scheme is a name from `SCHEMES`; GPTQ schemes also need the inputs'
Hessians (`miniquant.runtime.calibration_hessians`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from miniquant.gguf_lite import read_gguf_lite, write_gguf_lite
from miniquant.gptq import gptq_quantize
from miniquant.kernels import Weight
from miniquant.nf4 import NF4Tensor, nf4_block, quantize_nf4
from miniquant.quantize import QuantizedTensor, QuantSpec, quantize

Kind = Literal["fp32", "fp16", "rtn", "nf4", "gptq"]
Stored = npt.NDArray[Any] | QuantizedTensor | NF4Tensor
EMBEDDING = "tok_emb.weight"


@dataclass(frozen=True)
class Scheme:
    """A named way to store a model's weights."""

    name: str
    kind: Kind
    spec: QuantSpec | None = None
    act_order: bool = False

    @property
    def quantises(self) -> bool:
        return self.kind not in ("fp32", "fp16")


def _schemes() -> dict[str, Scheme]:
    out = {
        "fp32": Scheme("fp32", "fp32"),
        "fp16": Scheme("fp16", "fp16"),
        "int8-tensor": Scheme("int8-tensor", "rtn", QuantSpec(8, "tensor")),
        "int8-channel": Scheme("int8-channel", "rtn", QuantSpec(8, "channel")),
        "int4-tensor": Scheme("int4-tensor", "rtn", QuantSpec(4, "tensor")),
        "int4-channel": Scheme("int4-channel", "rtn", QuantSpec(4, "channel")),
        "nf4": Scheme("nf4", "nf4"),
    }
    for g in (32, 64, 128):
        out[f"int4-g{g}"] = Scheme(f"int4-g{g}", "rtn", QuantSpec(4, "group", g))
        out[f"gptq-int4-g{g}"] = Scheme(f"gptq-int4-g{g}", "gptq", QuantSpec(4, "group", g))
    return out


SCHEMES: dict[str, Scheme] = _schemes()


def scheme(name: str) -> Scheme:
    if name not in SCHEMES:
        raise ValueError(
            f"unknown quantisation scheme {name!r}; choose one of {', '.join(SCHEMES)}"
        )
    return SCHEMES[name]


def is_in_out(name: str) -> bool:
    """Matrices the model multiplies as x @ W (attention weights, (in, out)); `Linear.weight` is (out, in)."""
    return ".attn.w_" in name


def is_quantisable(name: str, value: npt.NDArray[Any]) -> bool:
    return value.ndim == 2 and name.startswith("blocks.")


@dataclass
class QuantizedModel:
    """A model's weights as stored under a scheme: matrices quantised in (out, in) layout, the rest float."""

    scheme: Scheme
    config: MiniGPTConfig
    tensors: dict[str, Stored] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Bytes of the stored weights (codes, scales, zero points, floats), without file headers."""
        return sum(t.nbytes for t in self.tensors.values())

    def state_dict(self) -> dict[str, npt.NDArray[np.float32]]:
        """The model's float32 weights as this scheme reproduces them, in the model's own layouts."""
        out = {}
        for name, stored in self.tensors.items():
            if isinstance(stored, QuantizedTensor | NF4Tensor):
                w = stored.dequantize()
                out[name] = np.ascontiguousarray(w.T if is_in_out(name) else w)
            else:
                out[name] = np.asarray(stored, dtype=np.float32)
        return out

    def to_model(self) -> MiniGPT:
        """A float32 MiniGPT carrying the dequantised weights (what perplexity and accuracy are measured on)."""
        model = MiniGPT(self.config, rng=np.random.default_rng(0))
        model.load_state_dict(self.state_dict())
        return model

    def weights(self) -> dict[str, Weight]:
        """Only the quantised matrices, by parameter name."""
        return {k: v for k, v in self.tensors.items() if isinstance(v, QuantizedTensor | NF4Tensor)}

    def matrices(self) -> dict[str, Weight | npt.NDArray[np.float16]]:
        """The block matrices kept in a compact form — quantised, or float16 as (out, in) — for runners
        that expand them at every product (FP32 matrices are not listed: they need no expanding)."""
        out: dict[str, Weight | npt.NDArray[np.float16]] = dict(self.weights())
        for k, v in self.tensors.items():
            if isinstance(v, np.ndarray) and v.dtype == np.float16 and is_quantisable(k, v):
                out[k] = np.ascontiguousarray(v.T if is_in_out(k) else v)
        return out


def quantize_model(
    model: MiniGPT,
    name: str,
    hessians: Mapping[str, npt.NDArray[np.float64]] | None = None,
) -> QuantizedModel:
    """Store `model` under scheme `name` (GPTQ schemes need `hessians`, by parameter name)."""
    chosen = scheme(name)
    if chosen.kind == "gptq" and hessians is None:
        raise ValueError(
            f"scheme {name!r} needs calibration Hessians (runtime.calibration_hessians)"
        )
    result = QuantizedModel(chosen, model.cfg)
    for key, value in model.state_dict().items():
        array = np.asarray(value, dtype=np.float32)
        if chosen.kind == "fp32":
            result.tensors[key] = array
        elif key == EMBEDDING or (chosen.kind == "fp16" and array.ndim == 2):
            result.tensors[key] = array.astype(np.float16)
        elif not (chosen.quantises and is_quantisable(key, array)):
            result.tensors[key] = array
        else:
            w = array.T if is_in_out(key) else array  # (out, in)
            if chosen.kind == "nf4":
                result.tensors[key] = quantize_nf4(w, nf4_block(w.shape[1]))
            elif chosen.kind == "gptq" and hessians is not None and chosen.spec is not None:
                result.tensors[key] = gptq_quantize(
                    w, hessians[key], chosen.spec, act_order=chosen.act_order
                )
            elif chosen.spec is not None:
                result.tensors[key] = quantize(w, chosen.spec)
    return result


def save_quantized(qm: QuantizedModel, path: Path) -> Path:
    """Write the stored weights to a GGUF-lite file, with the scheme and model config as metadata."""
    meta = {
        "general.architecture": "minigpt",
        "minigpt.config": json.dumps(qm.config.to_dict(), sort_keys=True),
        "miniquant.scheme": qm.scheme.name,
        "miniquant.layout": "matrices (out, in) row-major; attn.w_* transposed from the model's (in, out)",
    }
    return write_gguf_lite(path, qm.tensors, meta)


def load_quantized(path: Path) -> QuantizedModel:
    """Read back what `save_quantized` wrote (float tensors are copied out of the memory map)."""
    data = read_gguf_lite(path)
    config = MiniGPTConfig.from_dict(json.loads(str(data.metadata["minigpt.config"])))
    tensors: dict[str, Stored] = {
        k: v if isinstance(v, QuantizedTensor | NF4Tensor) else np.array(v)
        for k, v in data.tensors.items()
    }
    return QuantizedModel(scheme(str(data.metadata["miniquant.scheme"])), config, tensors)


__all__ = [
    "EMBEDDING",
    "SCHEMES",
    "QuantizedModel",
    "Scheme",
    "is_in_out",
    "is_quantisable",
    "load_quantized",
    "quantize_model",
    "save_quantized",
    "scheme",
]
