"""`MANIFEST.json` for a built corpus: what it contains, counted, and the sha256 of every file.

The manifest holds no dates, hostnames or interpreter versions: it is part of the corpus, and the corpus's
promise is that the same seed and the same code give the same bytes on any machine. What could change the
bytes — the generator and spec versions, the seed, the configuration — is recorded instead.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lynx_cortex.manifest import sha256_file
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.rows import CORPUS_NAME, CORPUS_VERSION, Row
from minicorpus.split import DEFAULT_RATIOS, HELDOUT_VERBS, SPLIT_GRAIN
from minicorpus.validate import CheckResult, ValidationReport
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE

MANIFEST_FILE = "MANIFEST.json"


def file_entry(path: Path) -> dict[str, Any]:
    """sha256, line count and byte size of one file."""
    data = path.read_bytes()
    return {"sha256": sha256_file(path), "lines": data.count(b"\n"), "bytes": len(data)}


def per_cell_counts(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    """Rows per truth-table cell `verb:tense:person` and label; a person-null row counts for all three."""
    counts: dict[str, dict[str, int]] = {
        f"{verb}:{tense}:{person}": {"correct": 0, "mis_conjugated": 0}
        for verb in VERB_TABLE
        for tense in TENSES
        for person in PERSONS
    }
    for row in rows:
        persons = PERSONS if row["person"] is None else (row["person"],)
        for person in persons:
            counts[f"{row['verb_lemma']}:{row['tense']}:{person}"][row["label"]] += 1
    return counts


def build_manifest(
    rows: Sequence[Row],
    *,
    root: Path,
    files: Sequence[Path],
    seed: int,
    spec_version: str,
    report: ValidationReport,
    splits: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    """The manifest payload; `files` are hashed now and keyed by their path relative to `root`."""
    by_type = Counter(
        row["mis_conjugation_type"] for row in rows if row["label"] == "mis_conjugated"
    )
    n_correct = sum(1 for row in rows if row["label"] == "correct")
    return {
        "corpus_name": CORPUS_NAME,
        "version": CORPUS_VERSION,
        "seed": seed,
        "versions": {"corpus_spec": spec_version, "minicorpus": CORPUS_VERSION},
        "config": {
            "verbs": list(VERB_TABLE),
            "tense_surfaces": list(TENSES),
            "person_invariant_tenses": ["infinitive", "past_participle"],
            "persons": list(PERSONS),
            "labels": ["correct", "mis_conjugated"],
            "mis_conjugation_types": list(MIS_CONJUGATION_TYPES),
            "split_ratios": list(DEFAULT_RATIOS),
            "split_grain": SPLIT_GRAIN,
            "heldout_verbs": list(HELDOUT_VERBS),
        },
        "files": {path.relative_to(root).as_posix(): file_entry(path) for path in sorted(files)},
        "per_cell_counts": per_cell_counts(rows),
        "mis_conjugation_counts_by_type": {
            code: by_type.get(code, 0) for code in MIS_CONJUGATION_TYPES
        },
        "total_correct": n_correct,
        "total_mis_conjugated": len(rows) - n_correct,
        "total_rows": len(rows),
        "splits": {name: dict(sizes) for name, sizes in splits.items()},
        "validation": {check.name: check.passed for check in report.checks},
    }


def check_manifest_hashes(corpus_dir: Path) -> CheckResult:
    """Every file the manifest lists (paths relative to `corpus_dir`) exists and still has its sha256."""
    path = corpus_dir / MANIFEST_FILE
    if not path.is_file():
        return CheckResult("manifest_hashes", False, (MANIFEST_FILE,), f"{path} is missing")
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        expected = {name: entry["sha256"] for name, entry in files.items()}
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return CheckResult(
            "manifest_hashes", False, (MANIFEST_FILE,), f"{path} is malformed ({exc})"
        )
    bad = [
        name
        for name, digest in sorted(expected.items())
        if not (corpus_dir / name).is_file() or sha256_file(corpus_dir / name) != digest
    ]
    message = (
        f"{len(bad)} files missing or changed since the manifest was written"
        if bad
        else f"all {len(expected)} files match their sha256"
    )
    return CheckResult("manifest_hashes", not bad, tuple(bad), message)
