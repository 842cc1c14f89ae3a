"""The corpus pipeline end to end: generate → validate → split → check splits → write → manifest.

Validation happens before anything is written, so a failing corpus never reaches disk; every file is written
atomically and the manifest last, so a folder with a `MANIFEST.json` is a complete corpus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from minicorpus.generate import DEFAULT_SEED, generate_rows
from minicorpus.manifest import MANIFEST_FILE, build_manifest, check_manifest_hashes
from minicorpus.rows import Row, read_jsonl, write_jsonl
from minicorpus.schema import load_schema, spec_version
from minicorpus.split import (
    SPLIT_NAMES,
    Split,
    heldout_verbs_split,
    stratified_split_by_verb_tense,
)
from minicorpus.tutor_build import TUTOR_DIR, validate_tutor_dir
from minicorpus.validate import (
    CheckResult,
    ValidationReport,
    check_split_complete,
    check_split_leakage,
    validate_rows,
)

RAW_ROWS: Final = Path("raw/all_rows.jsonl")
PROCESSED: Final = Path("processed")
HELDOUT_DIR: Final = PROCESSED / "heldout-verbs"
SPLIT_LOG: Final = "split_log.json"


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    rows: list[Row]
    splits: dict[str, Split]
    report: ValidationReport
    manifest: dict[str, Any]


def split_dir(name: str) -> Path:
    return PROCESSED if name == "default" else HELDOUT_DIR


def make_splits(rows: Sequence[Row], seed: int) -> dict[str, Split]:
    return {
        "default": stratified_split_by_verb_tense(rows, seed=seed),
        "heldout-verbs": heldout_verbs_split(rows, seed=seed),
    }


def split_checks(rows: Sequence[Row], splits: Mapping[str, Split]) -> list[CheckResult]:
    checks = []
    for name, split in splits.items():
        for check in (check_split_leakage(split.rows), check_split_complete(rows, split.rows)):
            checks.append(
                CheckResult(f"{check.name}[{name}]", check.passed, check.failures, check.message)
            )
    return checks


def build_corpus(
    out_dir: Path, *, seed: int = DEFAULT_SEED, spec_path: Path | None = None
) -> BuildResult:
    """Generate, validate and split the corpus with `seed` and write it under `out_dir`."""
    rows = generate_rows(seed)
    row_report = validate_rows(rows, load_schema(spec_path))
    splits = make_splits(rows, seed)
    report = ValidationReport((*row_report.checks, *split_checks(rows, splits)), len(rows))
    if not report.passed:
        raise LynxError(
            "generated corpus failed validation: "
            + "; ".join(line for line in report.summary_lines() if line.startswith("FAIL"))
        )
    written = [write_jsonl(out_dir / RAW_ROWS, rows)]
    for name, split in splits.items():
        folder = out_dir / split_dir(name)
        written.extend(
            write_jsonl(folder / f"{part}.jsonl", split.rows[part]) for part in SPLIT_NAMES
        )
        written.append(write_json_atomic(folder / SPLIT_LOG, split.log()))
    manifest = build_manifest(
        rows,
        root=out_dir,
        files=written,
        seed=seed,
        spec_version=spec_version(spec_path),
        report=report,
        splits={name: split.log()["rows_per_split"] for name, split in splits.items()},
    )
    write_json_atomic(out_dir / MANIFEST_FILE, manifest)
    return BuildResult(out_dir, rows, splits, report, manifest)


def load_rows(corpus_dir: Path) -> list[Row]:
    """The rows of a built corpus folder (`raw/all_rows.jsonl`)."""
    if not corpus_dir.is_dir():
        raise LynxError(f"corpus folder not found: {corpus_dir}")
    return read_jsonl(corpus_dir / RAW_ROWS)


def validate_corpus_dir(corpus_dir: Path, *, spec_path: Path | None = None) -> ValidationReport:
    """Re-check a corpus on disk: the row checks, the checked-in splits, the manifest's hashes, and the
    tutor set's checks when `tutor/` holds one."""
    rows = load_rows(corpus_dir)
    report = validate_rows(rows, load_schema(spec_path))
    checks = list(report.checks)
    for name in ("default", "heldout-verbs"):
        folder = corpus_dir / split_dir(name)
        if all((folder / f"{part}.jsonl").is_file() for part in SPLIT_NAMES):
            parts = {part: read_jsonl(folder / f"{part}.jsonl") for part in SPLIT_NAMES}
            for check in (check_split_leakage(parts), check_split_complete(rows, parts)):
                checks.append(
                    CheckResult(
                        f"{check.name}[{name}]", check.passed, check.failures, check.message
                    )
                )
    checks.append(check_manifest_hashes(corpus_dir))
    tutor = corpus_dir / TUTOR_DIR
    if (tutor / MANIFEST_FILE).is_file():
        tutor_report = validate_tutor_dir(tutor)
        checks += [
            CheckResult(f"tutor.{c.name}", c.passed, c.failures, c.message)
            for c in tutor_report.checks
        ]
    return ValidationReport(tuple(checks), len(rows))
