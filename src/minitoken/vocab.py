"""A read-only view of a vocabulary for people: which bytes each id stands for, and how to show them.

Bytes are the truth (`id_to_bytes`); the display form exists for tables and plots. Spaces are shown as `␣` so
" work" and "work" look different, complete UTF-8 sequences are shown as their glyphs, and anything else (a
lone continuation byte, a control character) as `\\xNN`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError


def display_bytes(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in raw)
    return "".join(_display_char(ch) for ch in text)


def _display_char(ch: str) -> str:
    if ch == " ":
        return "␣"
    if ch == "\\":
        return "\\\\"
    if ch.isprintable():
        return ch
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))


@dataclass(frozen=True)
class Vocab:
    id_to_bytes: tuple[bytes, ...]
    specials: tuple[str, ...] = ()
    bytes_to_id: dict[bytes, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes_to_id", {raw: i for i, raw in enumerate(self.id_to_bytes)})

    def __len__(self) -> int:
        return len(self.id_to_bytes)

    def display(self, token_id: int) -> str:
        if token_id < len(self.specials):
            return self.specials[token_id]
        return display_bytes(self.id_to_bytes[token_id])

    @property
    def id_to_display(self) -> tuple[str, ...]:
        return tuple(self.display(i) for i in range(len(self)))

    def save(self, path: Path) -> Path:
        """`vocab.json`: one entry per id with its bytes in hex and its display form."""
        entries = [
            {
                "id": i,
                "hex": raw.hex(),
                "display": self.display(i),
                "special": i < len(self.specials),
            }
            for i, raw in enumerate(self.id_to_bytes)
        ]
        return write_json_atomic(Path(path), {"specials": list(self.specials), "tokens": entries})

    @classmethod
    def load(cls, path: Path) -> Vocab:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tokens = sorted(data["tokens"], key=lambda t: t["id"])
            if [t["id"] for t in tokens] != list(range(len(tokens))):
                raise ValueError("ids are not 0..n-1")
            return cls(tuple(bytes.fromhex(t["hex"]) for t in tokens), tuple(data["specials"]))
        except FileNotFoundError:
            raise LynxError(f"vocabulary file not found: {path}") from None
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise LynxError(f"{path}: not a minitoken vocab.json ({exc})") from exc
