"""The tutor set on disk: `data/tutor/`, written byte-identically from a seed, read back and re-checked.

Layout (every path is listed with its sha256 in `MANIFEST.json`, written last):

- `frames/{train,val,test}-NN.jsonl`: every row once, in the main `frames` split, sorted by id, in shards
  under 1 MiB (the repository's file-size limit for added files);
- `splits/keys.json`, `splits/heldout-verbs.json`: the generalisation experiments as the ids of their val
  and test rows (train is every other row), so rows are not stored twice.

Rows are compact JSON (sorted keys, no spaces, UTF-8, LF): the set is large enough for the spaces to matter.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from lynx_cortex import jsonl
from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.errors import LynxError
from minicorpus.manifest import MANIFEST_FILE, check_manifest_hashes, file_entry
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.rows import Row
from minicorpus.split import SPLIT_NAMES
from minicorpus.tutor import (
    FRAMED_TENSES,
    FRAMES_PER_CELL,
    PINNED,
    TUTOR_FIELDS,
    TUTOR_NAME,
    TUTOR_VERSION,
    correct_core,
    generate_tutor_rows,
    pinned_texts,
    render,
)
from minicorpus.tutor_split import (
    FRAME_SPLIT,
    GENERALISATION_SPLITS,
    HELDOUT_RATIOS,
    frame_parts,
    key_parts,
    split_frames,
)
from minicorpus.tutor_validate import (
    experiment_split_checks,
    frame_split_checks,
    validate_tutor_rows,
)
from minicorpus.validate import CheckResult, ValidationReport
from minicorpus.verb_table import PERSONS, VERB_TABLE

TUTOR_DIR: Final = Path("tutor")
FRAMES_DIR: Final = Path("frames")
SPLITS_DIR: Final = Path("splits")
SHARD_MAX_BYTES: Final = 1_000_000

KeyAssignment = Mapping[tuple[str, str], str]


def dumps_row(row: Row) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def shard(lines: Sequence[str], max_bytes: int = SHARD_MAX_BYTES) -> list[str]:
    """Consecutive lines packed into texts of at most `max_bytes` UTF-8 bytes each."""
    shards: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        n = len(line.encode("utf-8"))
        if n > max_bytes:
            raise ValueError(f"one row is {n} bytes, over the shard limit of {max_bytes}")
        if current and size + n > max_bytes:
            shards.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += n
    if current:
        shards.append("".join(current))
    return shards


def _ids_json(name: str, parts: Mapping[str, Sequence[Row]]) -> str:
    payload = {
        "split": name,
        "grain": "(verb, tense), the v1 corpus's assignment",
        "train": "every row of frames/ whose id is not listed here",
        "ids": {part: [row["id"] for row in parts[part]] for part in ("val", "test")},
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def _counts(rows: Sequence[Row]) -> dict[str, Any]:
    by_type = Counter(row["error_type"] for row in rows if row["error_type"] is not None)
    return {
        "rows": len(rows),
        "frames": sum(1 for row in rows if row["error_type"] is None),
        "by_error_type": {code: by_type.get(code, 0) for code in MIS_CONJUGATION_TYPES},
    }


def build_tutor_set(
    out_dir: Path,
    *,
    seed: int,
    key_splits: Mapping[str, KeyAssignment],
    frames_per_cell: int = FRAMES_PER_CELL,
) -> dict[str, Any]:
    """Generate, validate and split the tutor set into `out_dir/tutor/`; returns its manifest.

    `key_splits` holds the v1 corpus's (verb, tense) assignments for the `keys` and `heldout-verbs` splits.
    Nothing is written unless every check passes.
    """
    missing = [name for name in GENERALISATION_SPLITS if name not in key_splits]
    if missing:
        raise LynxError(f"tutor build needs the v1 {missing[0]!r} split assignment")
    rows = generate_tutor_rows(seed, frames_per_cell)
    assignment = split_frames(rows, seed, pinned=pinned_texts())
    parts = frame_parts(rows, assignment)
    experiments = {name: key_parts(rows, key_splits[name]) for name in GENERALISATION_SPLITS}
    checks = list(validate_tutor_rows(rows).checks)
    checks += frame_split_checks(rows, parts)
    for name, experiment in experiments.items():
        checks += experiment_split_checks(name, rows, experiment)
    report = ValidationReport(tuple(checks), len(rows))
    if not report.passed:
        raise LynxError(
            "tutor set failed validation: "
            + "; ".join(line for line in report.summary_lines() if line.startswith("FAIL"))
        )
    folder = out_dir / TUTOR_DIR
    written: list[Path] = []
    for name in SPLIT_NAMES:
        lines = [dumps_row(row) for row in sorted(parts[name], key=lambda r: str(r["id"]))]
        for index, text in enumerate(shard(lines)):
            written.append(
                write_text_atomic(folder / FRAMES_DIR / f"{name}-{index:02d}.jsonl", text)
            )
    for name, experiment in experiments.items():
        written.append(
            write_text_atomic(folder / SPLITS_DIR / f"{name}.json", _ids_json(name, experiment))
        )
    manifest = {
        "corpus_name": TUTOR_NAME,
        "version": TUTOR_VERSION,
        "seed": seed,
        "config": {
            "verbs": list(VERB_TABLE),
            "framed_tenses": list(FRAMED_TENSES),
            "persons": list(PERSONS),
            "error_types": list(MIS_CONJUGATION_TYPES),
            "fields": list(TUTOR_FIELDS),
            "frames_per_cell": frames_per_cell,
            "heldout_ratios": {"val": HELDOUT_RATIOS[0], "test": HELDOUT_RATIOS[1]},
            "main_split": FRAME_SPLIT,
            "generalisation_splits": list(GENERALISATION_SPLITS),
            "pinned_to_train": [
                render(correct_core(*cell), cell[2], frame) for cell, frame in PINNED
            ],
            "shard_max_bytes": SHARD_MAX_BYTES,
        },
        "files": {p.relative_to(folder).as_posix(): file_entry(p) for p in sorted(written)},
        "total_rows": len(rows),
        "total_frames": sum(1 for row in rows if row["error_type"] is None),
        "error_type_counts": _counts(rows)["by_error_type"],
        "splits": {
            FRAME_SPLIT: {name: _counts(parts[name]) for name in SPLIT_NAMES},
            **{
                name: {part: _counts(experiment[part]) for part in SPLIT_NAMES}
                for name, experiment in experiments.items()
            },
        },
        "validation": {check.name: check.passed for check in report.checks},
    }
    write_json_atomic(folder / MANIFEST_FILE, manifest)
    return manifest


# ----------------------------------------------------------------------------------------- reading


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise LynxError(f"tutor set not found: {path} (run `lynx corpus build --tutor` first?)")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or not isinstance(payload.get("files"), dict):
            raise TypeError("no 'files' object")
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
        raise LynxError(f"{path} is not a tutor manifest ({exc})") from exc
    return payload


def load_frame_split(folder: Path) -> dict[str, list[Row]]:
    """The rows of a tutor folder by part of the main `frames` split."""
    files = _manifest(folder)["files"]
    parts: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES}
    for name in sorted(files):
        part = Path(name).name.split("-")[0]
        if name.startswith(FRAMES_DIR.as_posix() + "/") and part in parts:
            parts[part].extend(jsonl.read_jsonl(folder / name, blank_lines="error"))
    return parts


def load_tutor_rows(folder: Path) -> list[Row]:
    """Every row of a tutor folder, sorted by id."""
    parts = load_frame_split(folder)
    return sorted(
        (row for name in SPLIT_NAMES for row in parts[name]), key=lambda r: str(r.get("id"))
    )


def load_tutor_split(folder: Path, name: str) -> dict[str, list[Row]]:
    """Rows by part for `frames`, `keys` or `heldout-verbs`."""
    if name == FRAME_SPLIT:
        return load_frame_split(folder)
    if name not in GENERALISATION_SPLITS:
        choices = ", ".join((FRAME_SPLIT, *GENERALISATION_SPLITS))
        raise LynxError(f"unknown tutor split {name!r}; expected one of {choices}")
    rows = load_tutor_rows(folder)
    path = folder / SPLITS_DIR / f"{name}.json"
    try:
        ids = json.loads(path.read_text(encoding="utf-8"))["ids"]
        held = {str(i): part for part in ("val", "test") for i in ids[part]}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LynxError(f"cannot read tutor split file {path} ({exc})") from exc
    parts: dict[str, list[Row]] = {part: [] for part in SPLIT_NAMES}
    for row in rows:
        parts[held.get(str(row.get("id")), "train")].append(row)
    return parts


def validate_tutor_dir(folder: Path) -> ValidationReport:
    """Re-check a tutor folder on disk: every row check, every split's invariants, the manifest's hashes."""
    hashes = check_manifest_hashes(folder)
    if not hashes.passed:
        return ValidationReport((hashes,), 0)
    parts = load_frame_split(folder)
    rows = [row for name in SPLIT_NAMES for row in parts[name]]
    checks: list[CheckResult] = list(validate_tutor_rows(rows).checks)
    checks += frame_split_checks(rows, parts)
    for name in GENERALISATION_SPLITS:
        checks += experiment_split_checks(name, rows, load_tutor_split(folder, name))
    checks.append(hashes)
    return ValidationReport(tuple(checks), len(rows))
