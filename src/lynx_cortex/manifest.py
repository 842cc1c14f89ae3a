"""Run manifests: everything needed to explain why two runs of the same code gave different numbers.

A manifest is one JSON file per run (`manifest.json`). Its schema only grows: adding a field is cheap, removing
one breaks the ability to compare old runs with new ones. `diff_manifests` sorts differences by the kind of
drift they point to, most consequential first, so the first line of a diff is where to look.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from lynx_cortex.paths import project_root
from lynx_cortex.runinfo import env_info, git_state, hardware_info
from lynx_cortex.seeding import log_versions

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _artifact_key(out_dir: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def record_manifest(
    out_dir: Path,
    *,
    seed: int,
    config: Mapping[str, Any],
    artifacts: Iterable[Path | str] = (),
    started_at: datetime | None = None,
    wall_s: float | None = None,
    run_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write `out_dir/manifest.json` for a run that has just finished and return its path.

    Artifacts are hashed now, so the manifest proves which bytes the run produced; paths inside `out_dir` are
    stored relative to it. `started_at` defaults to now (a zero-length run) when the caller did not time it.
    """
    out_dir = Path(out_dir)
    finished = utc_now()
    started = started_at or finished
    hashes: dict[str, str] = {}
    for item in artifacts:
        path = Path(item)
        if not path.is_absolute():
            path = out_dir / path
        if not path.is_file():
            raise LynxError(f"artifact listed for the manifest does not exist: {path}")
        hashes[_artifact_key(out_dir, path)] = sha256_file(path)
    sha, dirty = git_state(project_root())
    payload: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "id": run_id or out_dir.name,
        "seed": seed,
        "git_sha": sha,
        "git_dirty": dirty,
        "config": dict(config),
        "versions": log_versions(),
        "hardware": hardware_info(),
        "env": env_info(),
        "started_at": iso_utc(started),
        "finished_at": iso_utc(finished),
        "wall_s": round(wall_s if wall_s is not None else (finished - started).total_seconds(), 6),
        "artifacts": dict(sorted(hashes.items())),
    }
    if extra:
        clash = set(extra) & set(payload)
        if clash:
            raise ValueError(
                f"extra manifest fields would overwrite standard ones: {sorted(clash)}"
            )
        payload.update(extra)
    return write_json_atomic(out_dir / MANIFEST_NAME, payload)


def load_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest from a file, or from `manifest.json` inside a run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise LynxError(f"manifest not found: {path}")
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise LynxError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(data, dict):
        raise LynxError(f"{path}: a manifest must be a JSON object, found {type(data).__name__}")
    return data


class Category(Enum):
    """Drift categories in the order a diff prints them: the likeliest cause of a changed number first."""

    CODE = "CODE"
    VERSIONS = "VERSIONS"
    HARDWARE = "HARDWARE"
    ENV = "ENV"
    TIME = "TIME"
    OTHER = "OTHER"


_TIME_KEYS = frozenset({"wall_s", "wall_seconds", "started_at", "finished_at"})
_CODE_KEYS = frozenset({"git_sha", "git_dirty"})
_PREFIXES = {"versions": Category.VERSIONS, "hardware": Category.HARDWARE, "env": Category.ENV}


def categorize(key: str) -> Category:
    """Category of a flattened key such as `versions.numpy`."""
    if key in _CODE_KEYS:
        return Category.CODE
    if key in _TIME_KEYS:
        return Category.TIME
    return _PREFIXES.get(key.split(".", 1)[0], Category.OTHER)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted keys; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class Change:
    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ManifestDiff:
    changes: dict[Category, list[Change]] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """Code or library drift: results are not comparable, so `lynx manifest diff` exits 1."""
        return bool(self.changes.get(Category.CODE) or self.changes.get(Category.VERSIONS))

    @property
    def empty(self) -> bool:
        return not any(self.changes.values())


def diff_manifests(a: Mapping[str, Any], b: Mapping[str, Any]) -> ManifestDiff:
    flat_a, flat_b = flatten(a), flatten(b)
    grouped: dict[Category, list[Change]] = {category: [] for category in Category}
    for key in sorted(flat_a.keys() | flat_b.keys()):
        before, after = flat_a.get(key, MISSING), flat_b.get(key, MISSING)
        same = (
            before is not MISSING
            and after is not MISSING
            and _canonical(before) == _canonical(after)
        )
        if not same:
            grouped[categorize(key)].append(Change(key, before, after))
    return ManifestDiff(grouped)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _show(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def format_diff(diff: ManifestDiff, *, quiet: bool = False) -> str:
    """`[VERSIONS] numpy: 2.0.1 -> 2.0.2` lines, then which categories had no difference."""
    lines: list[str] = []
    clean: list[str] = []
    for category in Category:
        changes = diff.changes.get(category, [])
        if not changes:
            clean.append(category.value)
        for change in changes:
            key = change.key
            if category in (Category.VERSIONS, Category.HARDWARE, Category.ENV):
                key = key.split(".", 1)[1]
            lines.append(
                f"[{category.value}] {key}: {_show(change.before)} -> {_show(change.after)}"
            )
    if not quiet:
        if len(clean) == len(Category):
            lines.append("(no differences)")
        elif clean:
            lines.append(f"(no differences in {', '.join(clean)})")
    return "\n".join(lines)


class Stopwatch:
    """Wall time of a run, from a monotonic clock, plus its UTC start for the manifest."""

    def __init__(self) -> None:
        self.started_at = utc_now()
        self._t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0
