"""Signed sidecars: what a snapshot held when it was taken, and a keyed digest that proves it is unchanged.

SQLite's integrity check finds broken page structure, not a changed value inside a valid page: a one-byte edit
in a data page (a role, a password hash, a review date) passes it. So every snapshot gets a small JSON file
beside it, `<snapshot>.sig.json`, with its size, schema revision and row counts, and an HMAC-SHA256 over those
fields and every byte of the snapshot. The HMAC key is derived (HKDF, purpose "portal-snapshots") from the
portal's master key, which is kept off the backup disk, so whoever can edit snapshots cannot re-sign them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from minivault.kdf import derive_key, key_id

FORMAT = 1
SUFFIX = ".sig.json"
PURPOSE = "portal-snapshots"
_DOMAIN = b"lynx-portal-snapshot\x00"


class SignatureError(Exception):
    """The snapshot does not match its sidecar (or the sidecar is missing or unreadable): the message says how."""


class UnsignedError(SignatureError):
    """No sidecar at all: a snapshot from before signing existed, or one copied without it."""


@dataclass(frozen=True)
class Contents:
    """What the sidecar vouches for besides the bytes."""

    kind: str  # "sqlite" or "pg_dump"
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Signed:
    contents: Contents
    size: int
    taken_at: str


class SnapshotKey:
    """The signing key for snapshots, derived from the master key; `id` is its public fingerprint."""

    def __init__(self, master_key: str | bytes) -> None:
        self._key = derive_key(master_key, PURPOSE)
        self.id = key_id(self._key).hex()

    def mac(self, header: dict[str, Any], snapshot: Path) -> str:
        body = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
        digest = hmac.new(self._key, _DOMAIN + len(body).to_bytes(8, "big") + body, hashlib.sha256)
        with snapshot.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


def sidecar_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + SUFFIX)


def _header(contents: Contents, size: int, taken_at: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kind": contents.kind,
        "size": size,
        "revision": contents.revision,
        "counts": dict(sorted(contents.counts.items())),
        "taken_at": taken_at,
    }


def sign(
    data: Path, key: SnapshotKey, contents: Contents, *, taken_at: datetime, final: Path
) -> Path:
    """Write the sidecar for `final` (the name `data` will be renamed to) and return its path."""
    header = _header(contents, data.stat().st_size, taken_at.isoformat() + "Z")
    payload = {
        **header,
        "snapshot": final.name,
        "key_id": key.id,
        "hmac_sha256": key.mac(header, data),
    }
    return write_json_atomic(sidecar_path(final), payload)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnsignedError(f"no signature sidecar ({path.name})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureError(f"the sidecar {path.name} is unreadable ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SignatureError(f"the sidecar {path.name} is not a format-{FORMAT} snapshot sidecar")
    return raw


def check(snapshot: Path, key: SnapshotKey) -> Signed:
    """The sidecar's claims once the snapshot's bytes are proven to match them; `SignatureError` otherwise."""
    raw = _read(sidecar_path(snapshot))
    try:
        counts = {str(k): int(v) for k, v in dict(raw["counts"]).items()}
        contents = Contents(str(raw["kind"]), raw["revision"], counts)
        size, taken_at, claimed = int(raw["size"]), str(raw["taken_at"]), str(raw["hmac_sha256"])
        signer = str(raw["key_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureError(f"the sidecar is missing or mangles a field ({exc})") from None
    if signer != key.id:
        raise SignatureError(
            f"signed under another master key (key id {signer}, the current key is {key.id}); "
            "set LYNX_PORTAL_MASTER_KEY to the key in force when the snapshot was taken"
        )
    actual = snapshot.stat().st_size
    if actual != size:
        raise SignatureError(f"the file is {actual} bytes, the sidecar says {size}")
    if not hmac.compare_digest(key.mac(_header(contents, size, taken_at), snapshot), claimed):
        raise SignatureError(
            "the contents do not match the signature (changed after the backup was taken)"
        )
    return Signed(contents, size, taken_at)
