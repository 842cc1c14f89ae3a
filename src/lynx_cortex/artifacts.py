"""Shipped artifacts (`artifacts/`): every file is listed with its sha256 in `artifacts/MANIFEST.json`.

Loading a shipped tokenizer or checkpoint checks the hashes first, so a corrupted or swapped file is refused
with a message naming it instead of silently producing wrong outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from lynx_cortex.manifest import sha256_file
from lynx_cortex.paths import project_root

MANIFEST = "MANIFEST.json"


def artifacts_dir() -> Path:
    return project_root() / "artifacts"


def _load(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        return {"files": {}}
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise LynxError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise LynxError(f"{path}: expected an object with a 'files' object")
    return data


def register(paths: Iterable[Path], root: Path | None = None) -> Path:
    """Record the sha256 of `paths` (files under `root`) in the manifest, keeping other entries."""
    root = root or artifacts_dir()
    data = _load(root)
    for path in paths:
        key = Path(path).resolve().relative_to(root.resolve()).as_posix()
        data["files"][key] = sha256_file(Path(path))
    data["files"] = dict(sorted(data["files"].items()))
    return write_json_atomic(root / MANIFEST, data)


def verify(directory: Path, root: Path | None = None) -> None:
    """Check every manifest entry under `directory`; raise naming the first file that is missing or altered."""
    root = root or artifacts_dir()
    prefix = Path(directory).resolve().relative_to(root.resolve()).as_posix().rstrip("/") + "/"
    entries = {k: v for k, v in _load(root)["files"].items() if k.startswith(prefix)}
    if not entries:
        raise LynxError(f"{directory} has no entries in {root / MANIFEST}")
    for key, expected in sorted(entries.items()):
        path = root / key
        if not path.is_file():
            raise LynxError(f"shipped artifact missing: {path}")
        if sha256_file(path) != expected:
            raise LynxError(
                f"shipped artifact {path} does not match its sha256 in {root / MANIFEST}"
            )
