"""GGUF-lite: our own binary file for quantised weights, readable from any language and mmap-able.

Why not `np.savez` or pickle: a deployment format must be read by code that is not Python (a C loader
mmaps the file and points at the bytes), must say what every byte is, and must be safe to open when it is
damaged. Layout, all little-endian:

    header      magic b"GLFT" · version u32 (=1) · alignment u32 (power of two) · n_kv u32 · n_tensors u32
    metadata    n_kv × (key: u16 length + UTF-8 · type u8 · value)
                type 0 = i64, 1 = f64, 2 = string (u32 length + UTF-8), 3 = bool (u8 0/1)
    infos       n_tensors × (name: u16 length + UTF-8 · kind u8 · bits u8 · layout u8 · n_dims u8 ·
                dims n_dims × u32 · group u32 · offset u64 · nbytes u64)
    padding     zeros up to the next multiple of `alignment`: the data section starts there
    data        each tensor at data_start + offset, offset a multiple of `alignment`

kind 0 = F32 and 1 = F16 (raw row-major values, any rank 1..4), 2 = symmetric integer, 3 = asymmetric
integer, 4 = NF4 (all three: 2-D (out, in) row-major, `Linear` layout). layout 0/1/2 = per tensor / per
channel / per group, `group` = inputs per scale (the spec's width). A quantised payload is the float16 scales
(R × G), then for kind 3 one u8 zero point per scale, then the codes: one byte each at 8 bits (int8 for
symmetric, uint8 otherwise), two per byte at 4 bits (low nibble = even index; two's complement when signed).

Reading trusts nothing: every length, count, offset and size is checked against the file before it is used,
so a truncated or corrupted file raises `GGUFLiteError` (one clear message) and never reads out of bounds,
allocates what a forged count asks for, or crashes (the tests fuzz it). F32/F16 tensors come back as
read-only views of the memory map (no copy); quantised ones are decoded into `QuantizedTensor`/`NF4Tensor`.
"""

from __future__ import annotations

import math
import os
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lynx_cortex.errors import LynxError
from miniquant.nf4 import NF4Tensor
from miniquant.packing import pack_int4, pack_nibbles, unpack_int4, unpack_nibbles
from miniquant.quantize import GRANULARITIES, QuantizedTensor, QuantSpec

MAGIC = b"GLFT"
VERSION = 1
DEFAULT_ALIGNMENT = 32
KIND_F32, KIND_F16, KIND_SYM, KIND_ASYM, KIND_NF4 = range(5)
_FLOAT_KINDS: dict[int, np.dtype[Any]] = {KIND_F32: np.dtype("<f4"), KIND_F16: np.dtype("<f2")}
_HEADER = struct.Struct("<4sIIII")
_INFO_TAIL = struct.Struct("<IQQ")  # group, offset, nbytes
MAX_DIMS = 4

Tensor = npt.NDArray[Any] | QuantizedTensor | NF4Tensor
Meta = int | float | str | bool


class GGUFLiteError(LynxError):
    """The file is not a valid GGUF-lite file (truncated, corrupted, or from another format)."""


@dataclass
class GGUFLite:
    """What a file holds: its metadata and its tensors by name (in file order)."""

    metadata: dict[str, Meta] = field(default_factory=dict)
    tensors: dict[str, Tensor] = field(default_factory=dict)
    alignment: int = DEFAULT_ALIGNMENT


# ------------------------------------------------------------------------------------------- writing


def _string(text: str, length_format: str) -> bytes:
    raw = text.encode("utf-8")
    limit = 0xFFFF if length_format == "<H" else 0xFFFFFFFF
    if len(raw) > limit:
        raise ValueError(f"string of {len(raw)} bytes is too long for GGUF-lite")
    return struct.pack(length_format, len(raw)) + raw


def _meta_bytes(key: str, value: Meta) -> bytes:
    head = _string(key, "<H")
    if isinstance(value, bool):
        return head + struct.pack("<BB", 3, int(value))
    if isinstance(value, int):
        return head + struct.pack("<Bq", 0, value)
    if isinstance(value, float):
        return head + struct.pack("<Bd", 1, value)
    if isinstance(value, str):
        return head + struct.pack("<B", 2) + _string(value, "<I")
    raise TypeError(f"metadata {key!r}: unsupported value type {type(value).__name__}")


def _codes_bytes(codes: npt.NDArray[Any], bits: int, signed: bool) -> bytes:
    if bits == 8:
        return codes.astype(np.int8 if signed else np.uint8).tobytes()
    return (pack_int4(codes) if signed else pack_nibbles(codes)).tobytes()


def _payload(tensor: Tensor) -> tuple[tuple[int, int, int, int], tuple[int, ...], bytes]:
    """((kind, bits, layout, group), dims, bytes) of one tensor."""
    if isinstance(tensor, QuantizedTensor):
        spec = tensor.spec
        if spec.bits not in (4, 8):
            raise ValueError(f"GGUF-lite stores 4- and 8-bit codes, not {spec.bits}")
        kind = KIND_SYM if spec.symmetric else KIND_ASYM
        layout = GRANULARITIES.index(spec.granularity)
        group = 0 if spec.granularity == "tensor" else tensor.blocks()[2]
        data = tensor.scales.astype("<f2").tobytes()
        if tensor.zeros is not None:
            data += tensor.zeros.astype(np.uint8).tobytes()
        data += _codes_bytes(tensor.codes, spec.bits, spec.symmetric)
        return (kind, spec.bits, layout, group), tensor.shape, data
    if isinstance(tensor, NF4Tensor):
        data = tensor.scales.astype("<f2").tobytes() + pack_nibbles(tensor.indices).tobytes()
        return (KIND_NF4, 4, 2, tensor.block), tensor.shape, data
    array = np.asarray(tensor)
    if array.dtype == np.float16:
        kind, bits, data = KIND_F16, 16, array.astype("<f2").tobytes()
    else:
        kind, bits, data = KIND_F32, 32, array.astype("<f4").tobytes()
    if not 1 <= array.ndim <= MAX_DIMS:
        raise ValueError(
            f"GGUF-lite stores tensors of 1 to {MAX_DIMS} dimensions, got {array.ndim}"
        )
    return (kind, bits, 0, 0), tuple(int(d) for d in array.shape), data


def _pad(size: int, alignment: int) -> int:
    return -size % alignment


def encode(
    tensors: Mapping[str, Tensor],
    metadata: Mapping[str, Meta] | None = None,
    *,
    alignment: int = DEFAULT_ALIGNMENT,
) -> bytes:
    """The bytes of a GGUF-lite file holding `tensors` (float arrays are stored as F16 if float16, else F32)."""
    if alignment < 1 or alignment & (alignment - 1):
        raise ValueError(f"alignment must be a power of two, got {alignment}")
    meta = dict(metadata or {})
    parts = [_HEADER.pack(MAGIC, VERSION, alignment, len(meta), len(tensors))]
    parts += [_meta_bytes(k, v) for k, v in meta.items()]
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        (kind, bits, layout, group), dims, data = _payload(tensor)
        offset += _pad(offset, alignment)
        info = _string(name, "<H") + struct.pack("<BBBB", kind, bits, layout, len(dims))
        info += struct.pack(f"<{len(dims)}I", *dims) + _INFO_TAIL.pack(group, offset, len(data))
        parts.append(info)
        blobs.append((offset, data))
        offset += len(data)
    head = b"".join(parts)
    out = bytearray(head + bytes(_pad(len(head), alignment)))
    start = len(out)
    for where, data in blobs:
        out += bytes(start + where - len(out))
        out += data
    return bytes(out)


def write_gguf_lite(
    path: Path,
    tensors: Mapping[str, Tensor],
    metadata: Mapping[str, Meta] | None = None,
    *,
    alignment: int = DEFAULT_ALIGNMENT,
) -> Path:
    """Write the file atomically (a reader never sees half of it); return its path."""
    data = encode(tensors, metadata, alignment=alignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ------------------------------------------------------------------------------------------- reading


class _Cursor:
    """Reads fields off a byte buffer, refusing to step past its end."""

    def __init__(self, buf: npt.NDArray[np.uint8]) -> None:
        self.buf, self.pos = buf, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.buf.size:
            raise GGUFLiteError(f"file truncated: {what} needs {n} bytes at offset {self.pos}")
        out = self.buf[self.pos : self.pos + n].tobytes()
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def string(self, length_format: str, what: str) -> str:
        (n,) = self.unpack(length_format, f"{what} length")
        try:
            return self.take(n, what).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GGUFLiteError(f"{what} is not valid UTF-8") from exc


def _read_meta(cur: _Cursor) -> tuple[str, Meta]:
    key = cur.string("<H", "metadata key")
    (kind,) = cur.unpack("<B", f"type of {key!r}")
    if kind == 0:
        return key, int(cur.unpack("<q", key)[0])
    if kind == 1:
        return key, float(cur.unpack("<d", key)[0])
    if kind == 2:
        return key, cur.string("<I", key)
    if kind == 3:
        (flag,) = cur.unpack("<B", key)
        if flag > 1:
            raise GGUFLiteError(f"metadata {key!r}: bool byte {flag} is neither 0 nor 1")
        return key, bool(flag)
    raise GGUFLiteError(f"metadata {key!r}: unknown value type {kind}")


@dataclass(frozen=True)
class _Info:
    name: str
    kind: int
    bits: int
    layout: int
    dims: tuple[int, ...]
    group: int
    offset: int
    nbytes: int


def _read_info(cur: _Cursor) -> _Info:
    name = cur.string("<H", "tensor name")
    kind, bits, layout, n_dims = cur.unpack("<BBBB", f"{name!r} header")
    if not 1 <= n_dims <= MAX_DIMS:
        raise GGUFLiteError(f"tensor {name!r}: {n_dims} dimensions (1 to {MAX_DIMS} allowed)")
    dims = tuple(int(d) for d in cur.unpack(f"<{n_dims}I", f"{name!r} dims"))
    group, offset, nbytes = cur.unpack(_INFO_TAIL.format, f"{name!r} offsets")
    return _Info(name, kind, bits, layout, dims, int(group), int(offset), int(nbytes))


def _quant_geometry(info: _Info) -> tuple[int, int, int]:
    """(R, G, W) of a quantised tensor, after checking its header describes a possible one."""
    what = f"tensor {info.name!r}"
    if len(info.dims) != 2 or 0 in info.dims:
        raise GGUFLiteError(f"{what}: a quantised tensor must be a non-empty (out, in) matrix")
    out, inp = info.dims
    if info.kind == KIND_NF4:
        valid = info.bits == 4 and info.layout == 2
    else:
        valid = info.bits in (4, 8) and info.layout in (0, 1, 2)
    if not valid:
        raise GGUFLiteError(f"{what}: kind {info.kind} with {info.bits} bits, layout {info.layout}")
    if info.layout == 0:
        return 1, 1, out * inp
    width = inp if info.layout == 1 else info.group
    if width < 1 or inp % width or (info.layout == 1 and info.group != inp):
        raise GGUFLiteError(f"{what}: group {info.group} does not tile its {inp} inputs")
    return out, inp // width, width


def _expected_nbytes(info: _Info) -> int:
    if info.kind in _FLOAT_KINDS:
        if info.bits != 8 * _FLOAT_KINDS[info.kind].itemsize:
            raise GGUFLiteError(f"tensor {info.name!r}: kind {info.kind} with {info.bits} bits")
        return math.prod(info.dims) * int(_FLOAT_KINDS[info.kind].itemsize)
    if info.kind not in (KIND_SYM, KIND_ASYM, KIND_NF4):
        raise GGUFLiteError(f"tensor {info.name!r}: unknown kind {info.kind}")
    rows, groups, width = _quant_geometry(info)
    n_scales, count = rows * groups, rows * groups * width
    zeros = n_scales if info.kind == KIND_ASYM else 0
    return 2 * n_scales + zeros + (count if info.bits == 8 else -(-count // 2))


def _decode(info: _Info, raw: npt.NDArray[np.uint8]) -> Tensor:
    if info.kind in _FLOAT_KINDS:
        view: npt.NDArray[Any] = raw.view(_FLOAT_KINDS[info.kind]).reshape(info.dims)
        return view
    rows, groups, width = _quant_geometry(info)
    shape = (info.dims[0], info.dims[1])
    count = rows * groups * width
    scales = raw[: 2 * rows * groups].view("<f2").astype(np.float16).reshape(rows, groups)
    if not np.all(np.isfinite(scales)) or np.any(scales <= 0):
        raise GGUFLiteError(f"tensor {info.name!r}: scales must be finite and positive")
    rest = raw[2 * rows * groups :]
    if info.kind == KIND_NF4:
        indices = unpack_nibbles(rest, count).reshape(shape)
        return NF4Tensor(indices=indices, scales=scales, block=width)
    spec = QuantSpec(
        info.bits,
        GRANULARITIES[info.layout],
        width if info.layout == 2 else 0,
        symmetric=info.kind == KIND_SYM,
    )
    zeros = None
    if info.kind == KIND_ASYM:
        zeros = rest[: rows * groups].astype(np.int16).reshape(rows, groups)
        rest = rest[rows * groups :]
    if info.bits == 8:
        codes = rest[:count].view(np.int8 if spec.symmetric else np.uint8).astype(np.int16)
    elif spec.symmetric:
        codes = unpack_int4(rest, count).astype(np.int16)
    else:
        codes = unpack_nibbles(rest, count).astype(np.int16)
    bad = codes.min() < spec.qmin or codes.max() > spec.qmax
    if bad or (zeros is not None and zeros.max() > spec.qmax):
        raise GGUFLiteError(f"tensor {info.name!r}: codes outside {spec.qmin}..{spec.qmax}")
    return QuantizedTensor(codes=codes.reshape(shape), scales=scales, zeros=zeros, spec=spec)


def decode(buf: npt.NDArray[np.uint8]) -> GGUFLite:
    """Parse a GGUF-lite file held in a uint8 buffer (a memory map or bytes); see the module docstring."""
    cur = _Cursor(buf)
    magic, version, alignment, n_kv, n_tensors = cur.unpack(_HEADER.format, "header")
    if magic != MAGIC:
        raise GGUFLiteError(f"not a GGUF-lite file (magic {magic!r}, expected {MAGIC!r})")
    if version != VERSION:
        raise GGUFLiteError(
            f"GGUF-lite version {version} is not supported (this reader knows {VERSION})"
        )
    if alignment < 1 or alignment & (alignment - 1) or alignment > 1 << 16:
        raise GGUFLiteError(f"alignment {alignment} is not a power of two up to 65536")
    # each entry takes at least a few bytes, so a forged count cannot make us loop or allocate for long
    if n_kv * 4 + n_tensors * 12 > buf.size - cur.pos:
        raise GGUFLiteError(
            f"file truncated: {n_kv} metadata entries and {n_tensors} tensors announced"
        )
    result = GGUFLite(alignment=alignment)
    for _ in range(n_kv):
        key, value = _read_meta(cur)
        if key in result.metadata:
            raise GGUFLiteError(f"metadata key {key!r} appears twice")
        result.metadata[key] = value
    infos = [_read_info(cur) for _ in range(n_tensors)]
    start = cur.pos + _pad(cur.pos, alignment)
    for info in infos:
        if info.name in result.tensors:
            raise GGUFLiteError(f"tensor {info.name!r} appears twice")
        expected = _expected_nbytes(info)
        if info.nbytes != expected:
            raise GGUFLiteError(
                f"tensor {info.name!r}: {info.nbytes} bytes recorded, its header implies {expected}"
            )
        if info.offset % alignment:
            raise GGUFLiteError(f"tensor {info.name!r}: offset {info.offset} is not aligned")
        if start + info.offset + info.nbytes > buf.size:
            raise GGUFLiteError(f"file truncated: tensor {info.name!r} runs past the end")
        raw = buf[start + info.offset : start + info.offset + info.nbytes]
        result.tensors[info.name] = _decode(info, raw)
    return result


def read_gguf_lite(path: Path) -> GGUFLite:
    """Memory-map and parse a GGUF-lite file; `GGUFLiteError` if it is damaged or not one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise GGUFLiteError(f"cannot read {path}: {exc.strerror}") from exc
    if size < _HEADER.size:
        raise GGUFLiteError(
            f"file truncated: {path} has {size} bytes, the header alone needs {_HEADER.size}"
        )
    buf: npt.NDArray[np.uint8] = np.memmap(path, dtype=np.uint8, mode="r")
    return decode(buf)


__all__ = [
    "DEFAULT_ALIGNMENT",
    "MAGIC",
    "VERSION",
    "GGUFLite",
    "GGUFLiteError",
    "decode",
    "encode",
    "read_gguf_lite",
    "write_gguf_lite",
]
