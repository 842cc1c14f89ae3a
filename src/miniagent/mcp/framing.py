"""MCP's stdio framing: one JSON-RPC message per line, UTF-8, terminated by a single `\n`.

The current MCP transport spec frames by newline (no `Content-Length` headers), which only works because a
JSON text never needs a raw newline: `json.dumps` escapes `\n` inside strings as the two bytes `\\n`. We write
the compact form with `ensure_ascii=False`, so `comió` travels as its two UTF-8 bytes `c3 b3`, not as `\\u00f3`.
Lines are split on the byte `0x0a` only — never with `str.splitlines`, which would also split on U+2028 or a
lone `\r` that a JSON string may legally carry raw.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

NEWLINE = b"\n"
MAX_LINE_BYTES = 4 * 1024 * 1024  # a peer that never sends `\n` cannot make us buffer forever


class FrameError(ValueError):
    """A line that is not one UTF-8 JSON value: the receiver answers it with a -32700 parse error."""


def encode(message: Any) -> bytes:
    """The exact bytes of one frame: compact JSON, raw UTF-8, one trailing newline.

    A lone surrogate (JSON's `"\\ud800"` decodes to one) has no UTF-8 form; such a message is written with
    `\\u` escapes instead, still one valid frame, and it decodes back to the same value.
    """
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8") + NEWLINE
    except UnicodeEncodeError:
        escaped = json.dumps(message, separators=(",", ":"), allow_nan=False)
        return escaped.encode("ascii") + NEWLINE


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN/Infinity; the wire must not


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf, which no frame can carry back
        raise ValueError(f"{text} is out of range for a double")
    return value


def decode(line: bytes) -> Any:
    """The JSON value of one frame (trailing `\n` or `\r\n` tolerated); `FrameError` when it is not JSON."""
    body = line.removesuffix(NEWLINE).removesuffix(b"\r")
    try:
        return json.loads(
            body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FrameError(f"not a UTF-8 JSON value: {exc}") from None


def read_line(stream: IO[bytes]) -> bytes | None:
    """The next non-blank line (its `\n` kept), or None at end of stream; a final unterminated line counts."""
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return None
        if line.strip():
            return line


def write(stream: IO[bytes], message: Any) -> None:
    """Send one frame and flush: an unflushed frame is a peer waiting forever."""
    stream.write(encode(message))
    stream.flush()


__all__ = ["MAX_LINE_BYTES", "NEWLINE", "FrameError", "decode", "encode", "read_line", "write"]
