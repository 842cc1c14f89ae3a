"""`lynx corpus build|validate|stats|export-table`: the phase 12 corpus from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, OUT_DIR, OUT_FILE, SEED
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir, experiments_dir
from lynx_cortex.runner import target_dir

DEFAULT_SEED = 42
TABLE_FILE = "conjugation_table.json"

_DIR = click.Path(path_type=Path, file_okay=False)


@click.group(
    "corpus",
    context_settings=CONTEXT,
    short_help="Build, validate, plot and export the verb corpus.",
)
def group() -> None:
    """The phase 12 verb corpus: build it, validate it, plot it, export its truth table."""


@group.command("build", short_help="Generate, validate and split the corpus.")
@click.option(
    "--seed",
    type=SEED,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed for row order, ids and the choice of error types.",
)
@click.option("--out", type=OUT_DIR, help="Corpus folder (default: the project's data/).")
@click.option(
    "--spec",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Corpus spec holding the row schema (default data/corpus_spec.md).",
)
@click.option("--tutor", is_flag=True, help="Also build the v1.1 tutor set into OUT/tutor/.")
def build(seed: int, out: Path | None, spec: Path | None, tutor: bool) -> None:
    """Generate, validate and split the corpus; write raw/, processed/ and MANIFEST.json under OUT."""
    from minicorpus.build import build_corpus
    from minicorpus.tutor_build import build_tutor_set

    folder = out or data_dir()
    if folder.exists() and not folder.is_dir():
        raise LynxError(f"--out {folder} is a file, not a folder")
    result = build_corpus(folder, seed=seed, spec_path=spec)
    manifest = result.manifest
    click.echo(
        f"corpus: {manifest['total_rows']} rows ({manifest['total_correct']} correct, "
        f"{manifest['total_mis_conjugated']} mis-conjugated), all "
        f"{len(result.report.checks)} checks passed"
    )
    for name, sizes in manifest["splits"].items():
        click.echo(f"split {name}: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    if tutor:
        key_splits = {
            "keys": result.splits["default"].assignment,
            "heldout-verbs": result.splits["heldout-verbs"].assignment,
        }
        tutor_manifest = build_tutor_set(folder, seed=seed, key_splits=key_splits)
        frames = tutor_manifest["splits"]["frames"]
        click.echo(
            f"tutor set: {tutor_manifest['total_rows']} rows, {tutor_manifest['total_frames']} frames; "
            "frames split: " + ", ".join(f"{k} {v['rows']}" for k, v in frames.items())
        )
    click.echo(str(folder))


@group.command("validate", short_help="Re-run every check on a built corpus.")
@click.argument("folder", type=_DIR, required=False)
@click.option(
    "--spec",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Corpus spec holding the row schema (default data/corpus_spec.md).",
)
@click.option(
    "--report",
    type=OUT_FILE,
    help="Also write the full report as JSON here.",
)
def validate(folder: Path | None, spec: Path | None, report: Path | None) -> None:
    """Re-run every check on a built corpus (default data/); exit 1 naming failing checks and rows."""
    from minicorpus.build import validate_corpus_dir

    result = validate_corpus_dir(folder or data_dir(), spec_path=spec)
    for line in result.summary_lines():
        click.echo(line)
    if report is not None:
        write_json_atomic(report, result.to_dict())
    verdict = "valid" if result.passed else f"INVALID ({len(result.failed)} checks failed)"
    click.echo(f"{result.rows} rows: {verdict}")
    if not result.passed:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)


@group.command("stats", short_help="Print corpus numbers and write the phase 12 plots.")
@click.argument("folder", type=_DIR, required=False)
@click.option(
    "--out",
    type=OUT_DIR,
    help="Where to write the plots (default experiments/12-corpus-stats/<stamp>/).",
)
def stats(folder: Path | None, out: Path | None) -> None:
    """Print headline numbers and write the phase 12 plots for a built corpus (default data/)."""
    from minicorpus.build import load_rows
    from minicorpus.stats import summarize, write_plots

    rows = load_rows(folder or data_dir())
    destination = target_dir(out, experiments_dir() / "12-corpus-stats")
    summary = summarize(rows)
    for key, value in summary.items():
        shown = json.dumps(value) if isinstance(value, dict) else value
        click.echo(f"{key:<32} {shown}")
    for path in write_plots(rows, destination):
        click.echo(str(path))


@group.command("export-table", short_help="Write the verb truth table as JSON.")
@click.option(
    "--out",
    type=OUT_FILE,
    help=f"Output file (default data/{TABLE_FILE}).",
)
@click.option(
    "--check", is_flag=True, help="Do not write; exit 1 if the file differs from the code."
)
def export_table(out: Path | None, check: bool) -> None:
    """Write the truth table (20 verbs × 6 tenses × 3 persons, English and Spanish) as JSON."""
    from minicorpus.truth_table import table_json_text

    path = out or data_dir() / TABLE_FILE
    text = table_json_text()
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            click.echo(f"{path} is out of date; run `lynx corpus export-table`", err=True)
            raise click.exceptions.Exit(EXIT_FAILED_CHECK)
        click.echo(f"{path} matches the verb table")
        return
    write_text_atomic(path, text)
    click.echo(str(path))
